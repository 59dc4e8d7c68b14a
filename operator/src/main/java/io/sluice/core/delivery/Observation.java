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
 * @param analysisRuns the AnalysisRuns the status names, by name (absent: not found)
 * @param analysisUnusable why the Rollout's analyses cannot run as specified (a template missing, two
 *                         templates defining one metric), if so: a canary in flight then gets no traffic
 */
public record Observation(Optional<DesiredRevision> desired, WorkloadState stable, WorkloadState canary, Instant now,
                          java.util.Map<String, RunState> analysisRuns, Optional<String> analysisUnusable) {

    public Observation(Optional<DesiredRevision> desired, WorkloadState stable, WorkloadState canary, Instant now) {
        this(desired, stable, canary, now, java.util.Map.of());
    }

    public Observation(Optional<DesiredRevision> desired, WorkloadState stable, WorkloadState canary, Instant now,
                       java.util.Map<String, RunState> analysisRuns) {
        this(desired, stable, canary, now, analysisRuns, Optional.empty());
    }

    /** An AnalysisRun as last seen: its phase and verdict message. */
    public record RunState(io.sluice.api.v1alpha1.AnalysisPhase phase, String message) {
    }

    /**
     * A revision from Git, the hash of its workload's pod template (to skip canaries for commits that change
     * only other objects), that template's container images (null if unknown), and the hash of everything
     * it deploys (null if unknown).
     */
    public record DesiredRevision(String revision, String templateHash, java.util.List<String> images, String content) {
        public DesiredRevision(String revision, String templateHash) {
            this(revision, templateHash, null, null);
        }

        public DesiredRevision(String revision, String templateHash, java.util.List<String> images) {
            this(revision, templateHash, images, null);
        }
    }
}
