package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * A notification not yet delivered to one destination, kept in status so that a restarted or newly
 * elected operator sends it (once, with the same id) instead of losing it. Never holds a URL: URLs are
 * credentials and stay in their Secret or the operator's configuration.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PendingNotification {
    /** The most a Rollout's status keeps; beyond it the oldest is dropped (and counted). */
    public static final int LIMIT = 20;

    @JsonPropertyDescription("The notification's id, sent in its payload (id) and in the Idempotency-Key header, the same "
            + "on every attempt and after an operator restart: receivers de-duplicate on it.")
    public String id;

    @JsonPropertyDescription("Where it goes, by reference: operator:<target name> (sluice.notifications.targets) or "
            + "secret:<Secret name>/<key> (spec.notifications). Never the URL.")
    public String destination;

    @JsonPropertyDescription("Started, StepCompleted, Paused, Promoted, Aborted or RolledBack.")
    public String kind;

    @JsonPropertyDescription("The reason of the Rollout event it announces.")
    public String reason;

    @JsonPropertyDescription("The event's message.")
    public String message;

    @JsonPropertyDescription("Stable revision when it happened.")
    public String stableRevision;

    @JsonPropertyDescription("Canary revision when it happened.")
    public String canaryRevision;

    @JsonPropertyDescription("Canary weight when it happened.")
    public Integer canaryWeight;

    @JsonPropertyDescription("When it happened (RFC 3339); one older than sluice.notifications.max-age is dropped.")
    public String time;

    @JsonPropertyDescription("Failed delivery attempts so far; at sluice.notifications.attempts it is dropped.")
    public Integer attempts;
}
