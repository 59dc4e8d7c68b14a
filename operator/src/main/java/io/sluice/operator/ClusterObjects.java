package io.sluice.operator;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;

import java.net.HttpURLConnection;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Writes objects with optimistic concurrency: create when absent, otherwise a full update carrying
 * the resourceVersion just read; a 409 re-reads and tries again a few times. No server-side apply
 * and no merge patch: the same write path on the test API and on a cluster.
 */
@ApplicationScoped
public class ClusterObjects {
    private static final int ATTEMPTS = 4;

    private final KubernetesClient client;

    public ClusterObjects(KubernetesClient client) {
        this.client = client;
    }

    /** An object Sluice would write that exists and belongs to someone else: another team, another Rollout. */
    public static class NotOwnedException extends RuntimeException {
        public NotOwnedException(String message) {
            super(message);
        }
    }

    /**
     * Whether Sluice may change or delete a live object on behalf of a Rollout: it carries Sluice's
     * ownership labels naming that Rollout, or its owner opted in to hand it over with the annotation
     * {@code sluice.io/adopt: <rollout name>} on the live object (never from Git: a manifest cannot
     * claim someone else's object).
     */
    public static boolean ownedBy(HasMetadata live, String rollout) {
        Map<String, String> labels = live.getMetadata().getLabels();
        if (labels != null && io.sluice.workload.Labels.MANAGER.equals(labels.get(io.sluice.workload.Labels.MANAGED_BY))
                && rollout.equals(labels.get(io.sluice.workload.Labels.ROLLOUT))) {
            return true;
        }
        Map<String, String> annotations = live.getMetadata().getAnnotations();
        return annotations != null && rollout.equals(annotations.get(io.sluice.workload.Labels.ADOPT));
    }

    /** Why the object cannot be written for the Rollout, if it exists and is not the Rollout's. */
    public java.util.Optional<String> notOwned(HasMetadata desired, String rollout) {
        HasMetadata live = client.resource(desired).get();
        return live == null || ownedBy(live, rollout) ? java.util.Optional.empty() : java.util.Optional.of(clash(live, rollout));
    }

    private static String clash(HasMetadata live, String rollout) {
        Map<String, String> labels = live.getMetadata().getLabels() == null ? Map.of() : live.getMetadata().getLabels();
        String owner = io.sluice.workload.Labels.MANAGER.equals(labels.get(io.sluice.workload.Labels.MANAGED_BY))
                && labels.get(io.sluice.workload.Labels.ROLLOUT) != null
                ? "it belongs to Rollout " + labels.get(io.sluice.workload.Labels.ROLLOUT)
                : "Sluice did not create it";
        return live.getKind() + " " + live.getMetadata().getName() + " exists and " + owner + "; to hand it over, "
                + "annotate the live object " + io.sluice.workload.Labels.ADOPT + "=" + rollout;
    }

    /** Creates or replaces the object; fields the API server owns on live Services (cluster IPs) are kept. */
    public <T extends HasMetadata> T write(T desired) {
        return write(desired, live -> desired);
    }

    /**
     * Creates the object, or replaces the live one with {@code fromLive.apply(live)} (which must not
     * modify its argument).
     */
    @SuppressWarnings("unchecked")
    public <T extends HasMetadata> T write(T desired, UnaryOperator<T> fromLive) {
        KubernetesClientException last = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            T live = (T) client.resource(desired).get();
            try {
                if (live == null) {
                    return client.resource(desired).create();
                }
                String rollout = desired.getMetadata().getLabels() == null ? null
                        : desired.getMetadata().getLabels().get(io.sluice.workload.Labels.ROLLOUT);
                if (rollout != null && !ownedBy(live, rollout)) {
                    throw new NotOwnedException(clash(live, rollout)); // never overwrite another's object
                }
                T next = client.getKubernetesSerialization().clone(fromLive.apply(live));
                next.getMetadata().setResourceVersion(live.getMetadata().getResourceVersion());
                keepServerOwnedFields(live, next);
                return client.resource(next).update();
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                    throw e;
                }
                last = e;
            }
        }
        throw last;
    }

    public void delete(String apiVersion, String kind, String namespace, String name) {
        client.genericKubernetesResources(apiVersion, kind).inNamespace(namespace).withName(name).delete();
    }

    public GenericKubernetesResource get(String apiVersion, String kind, String namespace, String name) {
        return client.genericKubernetesResources(apiVersion, kind).inNamespace(namespace).withName(name).get();
    }

    /** A Service's cluster IPs are allocated by the API server and cannot be changed or cleared by an update. */
    @SuppressWarnings("unchecked")
    private static void keepServerOwnedFields(HasMetadata live, HasMetadata next) {
        if (live instanceof io.fabric8.kubernetes.api.model.Service l && next instanceof io.fabric8.kubernetes.api.model.Service n) {
            n.getSpec().setClusterIP(l.getSpec().getClusterIP());
            n.getSpec().setClusterIPs(l.getSpec().getClusterIPs());
        } else if (live instanceof GenericKubernetesResource l && next instanceof GenericKubernetesResource n
                && "Service".equals(l.getKind()) && l.getAdditionalProperties().get("spec") instanceof Map<?, ?> ls
                && n.getAdditionalProperties().get("spec") instanceof Map<?, ?> ns) {
            for (String field : new String[]{"clusterIP", "clusterIPs"}) {
                if (ls.containsKey(field)) {
                    ((Map<String, Object>) ns).put(field, ls.get(field));
                }
            }
        }
    }
}
