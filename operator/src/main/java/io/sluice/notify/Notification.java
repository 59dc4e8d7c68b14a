package io.sluice.notify;

/** One thing that happened to a Rollout, as sent to people. Holds no secret. */
public record Notification(NotificationKind kind, String namespace, String rollout, String reason, String message,
                           String stableRevision, String canaryRevision, Integer canaryWeight, String time) {
}
