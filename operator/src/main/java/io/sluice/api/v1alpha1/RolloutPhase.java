package io.sluice.api.v1alpha1;

/** Where a rollout stands, in one word. Details are in the conditions. */
public enum RolloutPhase {
    /** Not delivering yet: the spec is being checked, or the first revision is not synced. */
    Pending,
    /** A canary is moving through its steps. */
    Progressing,
    /** Waiting for a person: a pause step without duration, spec.paused, or an inconclusive analysis. */
    Paused,
    /** Stable serves 100% of traffic and no canary is in flight. */
    Healthy,
    /** The last canary was aborted or rolled back; stable serves all traffic. */
    Aborted,
    /** Sluice cannot act: invalid spec, unresolvable references or an unusable source. */
    Degraded
}
