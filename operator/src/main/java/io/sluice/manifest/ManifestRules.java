package io.sluice.manifest;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.util.ArrayList;
import java.util.List;

/**
 * What a revision's objects must satisfy before any of them is applied: each is of a kind the
 * operator knows, namespaced, and meant for the Rollout's namespace. One violation rejects the
 * whole revision, so nothing of it is half-applied.
 */
public final class ManifestRules {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private ManifestRules() {
    }

    public static List<String> violations(ManifestSet manifests, String namespace) {
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
            String ns = object.getMetadata().getNamespace();
            if (ns != null && !ns.isBlank() && !ns.equals(namespace)) {
                problems.add(what + ": is for namespace " + ns + ", but a Rollout applies only into its own namespace ("
                        + namespace + ")");
            }
        }
        return problems;
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
