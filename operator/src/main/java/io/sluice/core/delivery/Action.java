package io.sluice.core.delivery;

/** What the reconciler must do, in order, before the planned status may be written. */
public sealed interface Action {

    /**
     * Apply the objects of the revision other than the workload. For stable, the stable copies of
     * its Services and the Services from Git are written too and what left Git is pruned; for a
     * canary, only what the canary needs is added, so stable keeps serving exactly as before.
     */
    record ApplyObjects(String revision, boolean forStable) implements Action {
    }

    /** Run the revision's workload as stable: from Git (first revision) or copied from the canary (promotion). */
    record DeployStable(String revision, boolean fromCanary) implements Action {
    }

    /** Run the revision's workload as canary. */
    record DeployCanary(String revision) implements Action {
    }

    /** Scale the canary down to zero replicas. */
    record ScaleDownCanary() implements Action {
    }

    /** Route this percentage to the canary and the rest to stable; verified by reading back. */
    record SetCanaryWeight(int weight) implements Action {
    }

    /**
     * Create the AnalysisRun {@code name} (owned by the Rollout) from the analysis's templates;
     * an existing run of that name is left as it is.
     */
    record StartAnalysis(String name, io.sluice.api.v1alpha1.RolloutAnalysis analysis, boolean background) implements Action {
    }

    /** Stop measuring: the run keeps the verdict it has. */
    record TerminateAnalysis(String name) implements Action {
    }
}
