package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;

/** The state of an analysis run or of one of its metrics. */
public enum AnalysisPhase {
    Pending,
    Running,
    Successful,
    Failed,
    Inconclusive,
    Error;

    @JsonIgnore
    public boolean isCompleted() {
        return this != Pending && this != Running;
    }
}
