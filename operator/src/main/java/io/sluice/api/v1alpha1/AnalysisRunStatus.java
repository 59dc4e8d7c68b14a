package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonClassDescription("Verdict and measurements of the run.")
public class AnalysisRunStatus {
    @JsonPropertyDescription("Pending, Running, Successful, Failed, Inconclusive or Error: the worst of the "
            + "metrics that are not dryRun.")
    public AnalysisPhase phase;

    @JsonPropertyDescription("The verdict in words: which metric decided it, with its value and condition.")
    public String message;

    @JsonPropertyDescription("When the first measurement was scheduled (RFC 3339).")
    public String startedAt;

    @JsonPropertyDescription("Per-metric tallies and the most recent measurements.")
    public List<MetricResult> metricResults = new ArrayList<>();
}
