package io.sluice.notify;

import io.sluice.api.v1alpha1.PendingNotification;

import java.util.List;
import java.util.Map;

/** Sends notifications without ever blocking or slowing the caller. */
public interface Notifier {
    /** Sends a notification to each destination that wants it, with retries, but without a durable record. */
    void send(Notification notification, List<Destination> destinations);

    /**
     * Takes over the pending notifications recorded in a Rollout's (written) status: each not yet known to
     * this notifier is sent to its destination, found by reference in {@code destinations}; when it is
     * delivered or given up on, it is removed from the Rollout's status. Called again with the same records
     * (every status write hands them over), it sends nothing twice.
     */
    default void deliver(RolloutRef rollout, List<PendingNotification> pending, Map<String, Destination> destinations) {
        for (PendingNotification p : pending) {
            Destination d = destinations.get(p.destination);
            if (d != null) {
                send(Notification.of(p, rollout.namespace(), rollout.name()), List.of(d));
            }
        }
    }

    /** Whether this record was delivered or given up on by this notifier: it no longer belongs in status. */
    default boolean settled(RolloutRef rollout, PendingNotification pending) {
        return false;
    }

    /** A record that did not fit in status ({@link PendingNotification#LIMIT}) was dropped. */
    default void overflowed(RolloutRef rollout, PendingNotification pending) {
    }

    /** The Rollout whose status holds pending notifications; the uid tells a re-created one apart. */
    record RolloutRef(String namespace, String name, String uid) {
    }
}
