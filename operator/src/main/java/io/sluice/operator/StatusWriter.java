package io.sluice.operator;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.client.CustomResource;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import jakarta.enterprise.context.ApplicationScoped;

import java.net.HttpURLConnection;
import java.util.Objects;

/**
 * Writes a Rollout's status with a full update of the status subresource carrying the
 * resourceVersion the decision was based on: a concurrent change makes it fail with 409 instead of
 * being overwritten. Merge patch is not used (its array handling differs across API servers).
 */
@ApplicationScoped
public class StatusWriter {
    /** What happened to a status write. */
    public enum Outcome { WRITTEN, UNCHANGED, CONFLICT }

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private final KubernetesClient client;

    public StatusWriter(KubernetesClient client) {
        this.client = client;
    }

    /**
     * Writes the status of a Rollout, an AnalysisRun or any custom resource with a status
     * subresource, unless it is unchanged, and hands the written object to the reconciler's cache.
     * Without that, the next reconcile (often triggered by this very write) may still be given the
     * object from before the write, until the watch delivers it, and would act on a step already
     * taken: weights set again, a promotion repeated.
     */
    @SuppressWarnings("unchecked")
    public <X, T extends CustomResource<?, X>> Outcome write(T current, X next, Context<T> context) {
        if (Objects.equals(SERIALIZATION.asJson(current.getStatus()), SERIALIZATION.asJson(next))) {
            return Outcome.UNCHANGED;
        }
        // A fresh object: the one from the informer cache is shared and must not be modified.
        T update = SERIALIZATION.clone(current);
        update.setMetadata(new ObjectMetaBuilder()
                .withName(current.getMetadata().getName())
                .withNamespace(current.getMetadata().getNamespace())
                .withResourceVersion(current.getMetadata().getResourceVersion())
                .build());
        update.setStatus(next);
        try {
            T written = client.resources((Class<T>) current.getClass()).inNamespace(current.getMetadata().getNamespace())
                    .resource(update).updateStatus();
            if (context != null) { // null when called directly, outside the framework (tests): no cache
                context.eventSourceRetriever().getControllerEventSource()
                        .handleRecentResourceUpdate(ResourceID.fromResource(written), written, current);
            }
            return Outcome.WRITTEN;
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                return Outcome.CONFLICT;
            }
            throw e;
        }
    }
}
