package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class AnalysisRunReference {
    @JsonPropertyDescription("Name of the AnalysisRun.")
    public String name;

    @JsonPropertyDescription("Its phase when last observed.")
    public AnalysisPhase phase;

    @JsonPropertyDescription("Its verdict in words, e.g. which metric failed with which value.")
    public String message;
}
