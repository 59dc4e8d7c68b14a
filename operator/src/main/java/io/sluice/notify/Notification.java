package io.sluice.notify;

import io.sluice.api.v1alpha1.PendingNotification;

import java.util.UUID;

/**
 * One thing that happened to a Rollout, as sent to people. Holds no secret.
 *
 * @param id the same on every attempt and after a restart (it is kept with the pending record), so a
 *           receiver can de-duplicate
 */
public record Notification(String id, NotificationKind kind, String namespace, String rollout, String reason, String message,
                           String stableRevision, String canaryRevision, Integer canaryWeight, String time) {

    /** A new notification, with a fresh id. */
    public Notification(NotificationKind kind, String namespace, String rollout, String reason, String message,
                        String stableRevision, String canaryRevision, Integer canaryWeight, String time) {
        this(UUID.randomUUID().toString(), kind, namespace, rollout, reason, message, stableRevision, canaryRevision,
                canaryWeight, time);
    }

    /** The record of this notification's delivery to one destination, for the Rollout's status. */
    public PendingNotification pendingFor(String destination) {
        PendingNotification p = new PendingNotification();
        p.id = id;
        p.destination = destination;
        p.kind = kind.name();
        p.reason = reason;
        p.message = message;
        p.stableRevision = stableRevision;
        p.canaryRevision = canaryRevision;
        p.canaryWeight = canaryWeight;
        p.time = time;
        p.attempts = 0;
        return p;
    }

    /** The notification a pending record (from status, maybe written by an earlier operator) stands for. */
    public static Notification of(PendingNotification p, String namespace, String rollout) {
        return new Notification(p.id, NotificationKind.valueOf(p.kind), namespace, rollout, p.reason, p.message,
                p.stableRevision, p.canaryRevision, p.canaryWeight, p.time);
    }
}
