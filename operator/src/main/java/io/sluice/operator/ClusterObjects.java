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
