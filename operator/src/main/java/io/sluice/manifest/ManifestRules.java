package io.sluice.manifest;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * What a revision's objects must satisfy before any of them is applied: each is of a kind the
 * operator knows, namespaced, of a kind the operator allows ({@code sluice.manifests.allowed-kinds},
 * never RBAC), and meant for the Rollout's namespace. One violation rejects the whole revision, so
 * nothing of it is half-applied.
 */
public final class ManifestRules {
    /** The configuration key of the allow-list, named in every refusal. */
    public static final String ALLOWED_KINDS_KEY = "sluice.manifests.allowed-kinds";
    /** Its default, the same as {@code SluiceConfig.Manifests#allowedKinds}'s: what an application needs. */
    public static final List<String> DEFAULT_ALLOWED_KINDS = List.of("Deployment.apps", "Service", "ConfigMap",
            "ServiceAccount", "HorizontalPodAutoscaler.autoscaling", "PodDisruptionBudget.policy",
            "VirtualService.networking.istio.io", "DestinationRule.networking.istio.io");
    /** Never applied from Git, whatever the allow-list says: a tenant must not grant itself permissions. */
    private static final String RBAC_GROUP = "rbac.authorization.k8s.io";
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private ManifestRules() {
    }

    /**
     * Every violation of the revision, one sentence each naming the file, the kind and the object.
     *
     * @param allowedKinds the operator's allow-list: {@code Kind} (core group) or {@code Kind.group}, or {@code *}
     */
    public static List<String> violations(ManifestSet manifests, String namespace, Collection<String> allowedKinds) {
        Set<String> allowed = Set.copyOf(allowedKinds.stream().map(String::strip).filter(k -> !k.isEmpty()).toList());
        List<String> problems = new ArrayList<>();
        List<ManifestSet.KindCheck> kinds = manifests.kindProblems(ManifestRules::checkKind); // once per parsed revision
        for (int i = 0; i < manifests.all().size(); i++) {
            Manifest m = manifests.all().get(i);
            GenericKubernetesResource object = m.object();
            String what = m.origin() + ": " + m.kind() + " " + m.name();
            ManifestSet.KindCheck kind = kinds.get(i);
            if (kind.problem() != null) {
                problems.add(what + kind.problem());
            }
            if (kind.invalid()) {
                continue;
            }
            if (kind.problem() == null) {
                String refused = refusedKind(m, allowed);
                if (refused != null) {
                    problems.add(what + refused);
                }
            }
            String ns = object.getMetadata().getNamespace();
            if (ns != null && !ns.isBlank() && !ns.equals(namespace)) {
                problems.add(what + ": is for namespace " + ns + ", but a Rollout applies only into its own namespace ("
                        + namespace + ")");
            }
        }
        return problems;
    }

    /** Why the allow-list refuses {@code m}'s kind, or null. */
    private static String refusedKind(Manifest m, Set<String> allowed) {
        String group = m.group() == null ? "" : m.group();
        String kind = group.isEmpty() ? m.kind() : m.kind() + "." + group;
        if (RBAC_GROUP.equals(group)) {
            return ": RBAC objects (" + kind + ") are never applied by a Rollout: permissions are granted by the "
                    + "cluster's administrators, not from Git (" + ALLOWED_KINDS_KEY + " cannot allow them)";
        }
        if (allowed.contains("*") || allowed.contains(kind)) {
            return null;
        }
        return ": kind " + kind + " is not among the kinds a Rollout may apply (" + ALLOWED_KINDS_KEY + ": "
                + String.join(", ", allowed.stream().sorted().toList()) + "); an operator administrator can add it there";
    }

    private static ManifestSet.KindCheck checkKind(Manifest m) {
        GenericKubernetesResource object = m.object();
        KubernetesResource typed;
        try {
            typed = SERIALIZATION.unmarshal(SERIALIZATION.asJson(object), KubernetesResource.class);
        } catch (RuntimeException e) {
            return new ManifestSet.KindCheck(": not a valid " + object.getKind() + ": " + rootMessage(e), true);
        }
        if (typed instanceof GenericKubernetesResource) {
            return new ManifestSet.KindCheck(": unknown kind " + object.getApiVersion() + "/" + object.getKind(), false);
        } else if (!(typed instanceof Namespaced)) {
            return new ManifestSet.KindCheck(": cluster-scoped objects are not applied by a Rollout", false);
        }
        return new ManifestSet.KindCheck(null, false);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String message = String.valueOf(t.getMessage());
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
