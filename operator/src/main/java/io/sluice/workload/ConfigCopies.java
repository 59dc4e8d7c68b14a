package io.sluice.workload;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.manifest.Manifest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * A config change is a release. The ConfigMaps and Secrets of a revision that its pod template uses
 * (volumes, projected volumes, envFrom, env valueFrom) are not given to the pods under their own
 * names: each revision's pods use a copy named after its content ({@code app-config-3f2a9c1b}). So
 * a commit that changes only such a ConfigMap changes the pod template, and runs as a canary like
 * an image change; the canary's pods read the new copy while stable's keep reading theirs; promotion
 * moves stable onto the new copy; a rollback leaves stable's copy alone and the canary's goes. The
 * object under its own name follows the stable revision, like every other object. Pure: it only
 * builds objects.
 */
public final class ConfigCopies {
    /** On a copy: the name of the ConfigMap or Secret in Git it copies. */
    public static final String COPY_OF = "sluice.io/copy-of";
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final int MAX_NAME = 253;

    private ConfigCopies() {
    }

    /**
     * The workload with its references to the revision's ConfigMaps and Secrets pointed at their
     * copies, and those copies (ownership labels and owner not yet set: see {@link #owned}).
     */
    public record Rewritten(Deployment workload, List<GenericKubernetesResource> copies) {
    }

    public static Rewritten rewrite(Deployment workload, List<Manifest> manifests) {
        Map<String, GenericKubernetesResource> configMaps = new LinkedHashMap<>();
        Map<String, GenericKubernetesResource> secrets = new LinkedHashMap<>();
        for (Manifest m : manifests) {
            if (m.group().isEmpty() && m.kind().equals("ConfigMap")) {
                configMaps.put(m.name(), m.object());
            } else if (m.group().isEmpty() && m.kind().equals("Secret")) {
                secrets.put(m.name(), m.object());
            }
        }
        Deployment copy = SERIALIZATION.clone(workload);
        if (copy.getSpec() == null || copy.getSpec().getTemplate() == null || copy.getSpec().getTemplate().getSpec() == null) {
            return new Rewritten(copy, List.of());
        }
        Map<String, GenericKubernetesResource> copies = new LinkedHashMap<>();
        UnaryOperator<String> configMap = name -> copyName(name, configMaps, copies);
        UnaryOperator<String> secret = name -> copyName(name, secrets, copies);
        visit(copy.getSpec().getTemplate().getSpec(), configMap, secret);
        return new Rewritten(copy, List.copyOf(copies.values()));
    }

    /** The names of the ConfigMaps and Secrets a pod template uses, as "ConfigMap/name" and "Secret/name". */
    public static Set<String> references(Deployment deployment) {
        Set<String> out = new LinkedHashSet<>();
        if (deployment == null || deployment.getSpec() == null || deployment.getSpec().getTemplate() == null
                || deployment.getSpec().getTemplate().getSpec() == null) {
            return out;
        }
        visit(SERIALIZATION.clone(deployment).getSpec().getTemplate().getSpec(),
                name -> { out.add("ConfigMap/" + name); return name; },
                name -> { out.add("Secret/" + name); return name; });
        return out;
    }

    /** A copy as Sluice writes it: this Rollout's labels and owner, in its namespace. */
    public static GenericKubernetesResource owned(GenericKubernetesResource copy, Rollout rollout) {
        GenericKubernetesResource out = SERIALIZATION.clone(copy);
        out.getMetadata().setNamespace(rollout.getMetadata().getNamespace());
        out.getMetadata().setLabels(WorkloadModel.merged(out.getMetadata().getLabels(), WorkloadModel.ownership(rollout)));
        WorkloadModel.setOwner(out, rollout);
        return out;
    }

    private static String copyName(String name, Map<String, GenericKubernetesResource> inGit,
            Map<String, GenericKubernetesResource> copies) {
        GenericKubernetesResource original = name == null ? null : inGit.get(name);
        if (original == null) {
            return name; // not in this revision (managed elsewhere): used as it is
        }
        String hash = contentHash(original);
        String suffix = "-" + hash;
        String copyName = (name.length() + suffix.length() > MAX_NAME ? name.substring(0, MAX_NAME - suffix.length()) : name)
                + suffix;
        copies.computeIfAbsent(original.getKind() + "/" + copyName, key -> {
            GenericKubernetesResource copy = SERIALIZATION.clone(original);
            copy.getMetadata().setName(copyName);
            copy.getMetadata().setResourceVersion(null);
            copy.getMetadata().setUid(null);
            copy.getMetadata().setAnnotations(WorkloadModel.merged(copy.getMetadata().getAnnotations(), Map.of(COPY_OF, name)));
            copy.getMetadata().setLabels(WorkloadModel.merged(copy.getMetadata().getLabels(), Map.of(COPY_OF, "true")));
            return copy;
        });
        return copyName;
    }

    /** A short hash of what the pods read from the object: its data, not its metadata. */
    private static String contentHash(GenericKubernetesResource object) {
        Map<String, Object> content = new TreeMap<>();
        for (String field : List.of("data", "binaryData", "stringData", "type")) {
            Object value = object.getAdditionalProperties().get(field);
            if (value != null) {
                content.put(field, SERIALIZATION.convertValue(value, Object.class));
            }
        }
        try {
            String json = SERIALIZATION.asJson(SERIALIZATION.convertValue(content, TreeMap.class));
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(json.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 5);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Calls the renamers on every ConfigMap and Secret reference of a pod spec, setting what they return. */
    private static void visit(PodSpec pod, UnaryOperator<String> configMap, UnaryOperator<String> secret) {
        for (Volume v : pod.getVolumes() == null ? List.<Volume>of() : pod.getVolumes()) {
            if (v.getConfigMap() != null) {
                v.getConfigMap().setName(configMap.apply(v.getConfigMap().getName()));
            }
            if (v.getSecret() != null) {
                v.getSecret().setSecretName(secret.apply(v.getSecret().getSecretName()));
            }
            if (v.getProjected() != null && v.getProjected().getSources() != null) {
                for (var source : v.getProjected().getSources()) {
                    if (source.getConfigMap() != null) {
                        source.getConfigMap().setName(configMap.apply(source.getConfigMap().getName()));
                    }
                    if (source.getSecret() != null) {
                        source.getSecret().setName(secret.apply(source.getSecret().getName()));
                    }
                }
            }
        }
        List<Container> containers = new ArrayList<>();
        if (pod.getInitContainers() != null) {
            containers.addAll(pod.getInitContainers());
        }
        if (pod.getContainers() != null) {
            containers.addAll(pod.getContainers());
        }
        for (Container c : containers) {
            for (var from : c.getEnvFrom() == null ? List.<io.fabric8.kubernetes.api.model.EnvFromSource>of() : c.getEnvFrom()) {
                if (from.getConfigMapRef() != null) {
                    from.getConfigMapRef().setName(configMap.apply(from.getConfigMapRef().getName()));
                }
                if (from.getSecretRef() != null) {
                    from.getSecretRef().setName(secret.apply(from.getSecretRef().getName()));
                }
            }
            for (var env : c.getEnv() == null ? List.<io.fabric8.kubernetes.api.model.EnvVar>of() : c.getEnv()) {
                var valueFrom = env.getValueFrom();
                if (valueFrom == null) {
                    continue;
                }
                if (valueFrom.getConfigMapKeyRef() != null) {
                    valueFrom.getConfigMapKeyRef().setName(configMap.apply(valueFrom.getConfigMapKeyRef().getName()));
                }
                if (valueFrom.getSecretKeyRef() != null) {
                    valueFrom.getSecretKeyRef().setName(secret.apply(valueFrom.getSecretKeyRef().getName()));
                }
            }
        }
    }
}
