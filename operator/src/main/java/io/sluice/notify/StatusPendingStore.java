package io.sluice.notify;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sluice.api.v1alpha1.PendingNotification;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutStatus;
import org.jboss.logging.Logger;

import java.net.HttpURLConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Keeps {@code status.pendingNotifications} of a Rollout in step with deliveries: a full status update
 * carrying the resourceVersion just read, so it never overwrites a concurrent reconcile's write (that one
 * fails with 409 instead and reconciles again; this one reads again and retries).
 */
public class StatusPendingStore implements PendingStore {
    private static final Logger LOG = Logger.getLogger(StatusPendingStore.class);
    private static final int TRIES = 5;

    private final KubernetesClient client;

    public StatusPendingStore(KubernetesClient client) {
        this.client = client;
    }

    @Override
    public void remove(Notifier.RolloutRef rollout, String id, String destination) {
        change(rollout, pending -> {
            List<PendingNotification> kept = new ArrayList<>(pending);
            return kept.removeIf(p -> PendingStore.same(p, id, destination)) ? kept : null;
        });
    }

    @Override
    public void attempted(Notifier.RolloutRef rollout, String id, String destination, int attempts) {
        change(rollout, pending -> {
            for (PendingNotification p : pending) {
                if (PendingStore.same(p, id, destination) && !Integer.valueOf(attempts).equals(p.attempts)) {
                    p.attempts = attempts;
                    return pending;
                }
            }
            return null;
        });
    }

    /** Applies the change (null: nothing to change) to a fresh copy of the status, until it is written. */
    private void change(Notifier.RolloutRef ref, Function<List<PendingNotification>, List<PendingNotification>> change) {
        var rollouts = client.resources(Rollout.class).inNamespace(ref.namespace());
        for (int i = 0; i < TRIES; i++) {
            Rollout current;
            try {
                current = rollouts.withName(ref.name()).get();
            } catch (KubernetesClientException e) {
                LOG.debugf("Rollout %s/%s: pending notifications not updated: %s", ref.namespace(), ref.name(), e.getMessage());
                return;
            }
            if (current == null || current.getStatus() == null || current.getStatus().pendingNotifications == null
                    || (ref.uid() != null && !ref.uid().equals(current.getMetadata().getUid()))) {
                return;
            }
            RolloutStatus status = client.getKubernetesSerialization().clone(current.getStatus());
            List<PendingNotification> next = change.apply(status.pendingNotifications);
            if (next == null) {
                return;
            }
            status.pendingNotifications = next.isEmpty() ? null : next;
            Rollout update = client.getKubernetesSerialization().clone(current);
            update.setMetadata(new ObjectMetaBuilder().withName(ref.name()).withNamespace(ref.namespace())
                    .withResourceVersion(current.getMetadata().getResourceVersion()).build());
            update.setStatus(status);
            try {
                rollouts.resource(update).updateStatus();
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                    LOG.debugf("Rollout %s/%s: pending notifications not updated: %s", ref.namespace(), ref.name(),
                            e.getMessage());
                    return;
                }
            }
        }
        LOG.debugf("Rollout %s/%s: pending notifications not updated after %d conflicts; the next reconcile does it",
                ref.namespace(), ref.name(), TRIES);
    }
}
