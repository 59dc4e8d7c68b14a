package io.sluice.core.delivery;

import java.time.Instant;
import java.util.Optional;

/**
 * Everything the delivery planner may look at besides the Rollout itself.
 *
 * @param desired the newest usable revision from Git; empty while the source or its manifests are unusable
 * @param stable  the live stable Deployment
 * @param canary  the live canary Deployment
 * @param now     the time, from the operator's clock
 */
public record Observation(Optional<DesiredRevision> desired, WorkloadState stable, WorkloadState canary, Instant now) {

    /** A revision from Git and the hash of its workload's pod template (to skip canaries for config-only commits). */
    public record DesiredRevision(String revision, String templateHash) {
    }
}
