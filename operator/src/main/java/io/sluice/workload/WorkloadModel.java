package io.sluice.workload;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.api.v1alpha1.Rollout;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Builds the objects Sluice runs a workload with, from the Deployment and Services in Git: a
 * stable and a canary copy of the Deployment, and a stable and a canary copy of each Service that
 * selects its pods. Pure: it only builds objects; the caller writes them.
 */
public final class WorkloadModel {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private WorkloadModel() {
    }

    public static String deploymentName(String workload, String role) {
        return workload + "-" + role;
    }

    public static String serviceName(String service, String role) {
        return service + "-" + role;
    }

    /** Labels selecting exactly the pods of one role of one Rollout. */
    public static Map<String, String> podLabels(Rollout rollout, String role) {
        return Map.of(Labels.ROLLOUT, rollout.getMetadata().getName(), Labels.ROLE, role);
    }

    /** A stable hash of the pod template as Git declares it: equal hashes mean nothing to canary. */
    public static String templateHash(Deployment fromGit) {
        try {
            String json = SERIALIZATION.asJson(SERIALIZATION.convertValue(fromGit.getSpec().getTemplate(), java.util.TreeMap.class));
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(json.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The container images of a Deployment's pod template, in order (init containers not included). */
    public static java.util.List<String> images(Deployment deployment) {
        var template = deployment.getSpec() == null ? null : deployment.getSpec().getTemplate();
        if (template == null || template.getSpec() == null || template.getSpec().getContainers() == null) {
            return java.util.List.of();
        }
        return template.getSpec().getContainers().stream().map(c -> c.getImage()).filter(java.util.Objects::nonNull).toList();
    }

    /**
     * The stable or canary Deployment for a revision.
     *
     * @param template  the Deployment whose pod template to run (from Git, or the live canary on promotion)
     * @param replicas  how many pods
     */
    public static Deployment deployment(Rollout rollout, Deployment template, String role, String revision,
            String templateHash, int replicas) {
        Deployment d = SERIALIZATION.clone(template);
        String workload = rollout.getSpec().workloadRef.name;
        Map<String, String> roleLabels = podLabels(rollout, role);
        d.getMetadata().setName(deploymentName(workload, role));
        d.getMetadata().setNamespace(rollout.getMetadata().getNamespace());
        d.getMetadata().setResourceVersion(null);
        d.getMetadata().setUid(null);
        d.getMetadata().setCreationTimestamp(null);
        d.getMetadata().setGeneration(null);
        d.getMetadata().setManagedFields(null);
        d.getMetadata().setLabels(merged(labelsWithoutRole(template.getMetadata().getLabels()), ownership(rollout)));
        d.getMetadata().getLabels().put(Labels.ROLE, role);
        d.getMetadata().setAnnotations(merged(template.getMetadata().getAnnotations(),
                Map.of(Labels.REVISION, revision, Labels.TEMPLATE_HASH, templateHash)));
        d.getMetadata().getAnnotations().remove("deployment.kubernetes.io/revision");
        setOwner(d, rollout);
        d.setStatus(null);
        d.getSpec().setReplicas(replicas);
        d.getSpec().getSelector().setMatchLabels(merged(labelsWithoutRole(d.getSpec().getSelector().getMatchLabels()), roleLabels));
        d.getSpec().getTemplate().getMetadata().setLabels(
                merged(labelsWithoutRole(d.getSpec().getTemplate().getMetadata().getLabels()), roleLabels));
        return d;
    }

    /** The stable or canary copy of a Service from Git: same ports, selector narrowed to the role's pods. */
    public static Service service(Rollout rollout, Service fromGit, String role) {
        Service s = SERIALIZATION.clone(fromGit);
        s.getMetadata().setName(serviceName(fromGit.getMetadata().getName(), role));
        s.getMetadata().setNamespace(rollout.getMetadata().getNamespace());
        s.getMetadata().setResourceVersion(null);
        s.getMetadata().setUid(null);
        s.getMetadata().setLabels(merged(fromGit.getMetadata().getLabels(), ownership(rollout)));
        s.getMetadata().getLabels().put(Labels.ROLE, role);
        setOwner(s, rollout);
        s.setStatus(null);
        s.getSpec().setClusterIP(null);
        s.getSpec().setClusterIPs(null);
        s.getSpec().setSelector(merged(s.getSpec().getSelector(), podLabels(rollout, role)));
        return s;
    }

    /** Why a Deployment from Git cannot be run as stable and canary, if it cannot. */
    public static Optional<String> unusable(Deployment fromGit) {
        var spec = fromGit.getSpec();
        if (spec == null || spec.getSelector() == null || spec.getSelector().getMatchLabels() == null
                || spec.getSelector().getMatchLabels().isEmpty()) {
            return Optional.of("has no spec.selector.matchLabels");
        }
        if (spec.getTemplate() == null || spec.getTemplate().getMetadata() == null
                || spec.getTemplate().getMetadata().getLabels() == null) {
            return Optional.of("has no pod template labels");
        }
        if (!spec.getTemplate().getMetadata().getLabels().entrySet().containsAll(spec.getSelector().getMatchLabels().entrySet())) {
            return Optional.of("has a selector that does not match its pod template's labels");
        }
        return Optional.empty();
    }

    /** Does this Service from Git select the pods of this Deployment from Git? */
    public static boolean selects(Service service, Deployment deployment) {
        Map<String, String> selector = service.getSpec() == null ? null : service.getSpec().getSelector();
        Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
        return selector != null && !selector.isEmpty() && podLabels != null
                && podLabels.entrySet().containsAll(selector.entrySet());
    }

    /** Labels every object Sluice applies or creates for a Rollout carries. */
    public static Map<String, String> ownership(Rollout rollout) {
        return Map.of(Labels.MANAGED_BY, Labels.MANAGER, Labels.ROLLOUT, rollout.getMetadata().getName());
    }

    public static void setOwner(HasMetadata object, Rollout rollout) {
        object.getMetadata().setOwnerReferences(java.util.List.of(new OwnerReferenceBuilder()
                .withApiVersion(rollout.getApiVersion())
                .withKind(rollout.getKind())
                .withName(rollout.getMetadata().getName())
                .withUid(rollout.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build()));
    }

    /** The Deployment from Git, typed. */
    public static Deployment asDeployment(GenericKubernetesResource generic) {
        return SERIALIZATION.convertValue(generic, Deployment.class);
    }

    public static Service asService(GenericKubernetesResource generic) {
        return SERIALIZATION.convertValue(generic, Service.class);
    }

    public static Optional<String> annotation(HasMetadata object, String key) {
        return Optional.ofNullable(object.getMetadata().getAnnotations()).map(a -> a.get(key));
    }

    private static Map<String, String> labelsWithoutRole(Map<String, String> labels) {
        Map<String, String> out = new HashMap<>(labels == null ? Map.of() : labels);
        out.remove(Labels.ROLE);
        return out;
    }

    /** base with extra's entries added (or replacing); neither argument is modified. */
    public static Map<String, String> merged(Map<String, String> base, Map<String, String> extra) {
        Map<String, String> out = new HashMap<>(base == null ? Map.of() : base);
        out.putAll(extra);
        return out;
    }
}
