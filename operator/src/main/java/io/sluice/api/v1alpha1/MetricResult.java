package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class MetricResult {
    @JsonPropertyDescription("Name of the metric.")
    public String name;

    @JsonPropertyDescription("The metric's verdict so far.")
    public AnalysisPhase phase;

    @JsonPropertyDescription("Whether the metric is dryRun (reported, never decisive).")
    public Boolean dryRun;

    @JsonPropertyDescription("Measurements taken.")
    public Integer count;

    @JsonPropertyDescription("Successful measurements.")
    public Integer successful;

    @JsonPropertyDescription("Failed measurements.")
    public Integer failed;

    @JsonPropertyDescription("Inconclusive measurements (including no-data ones counted as inconclusive).")
    public Integer inconclusive;

    @JsonPropertyDescription("Measurements that could not be taken.")
    public Integer error;

    @JsonPropertyDescription("Errors in a row, reset by any measurement that succeeds in being taken.")
    public Integer consecutiveError;

    @JsonPropertyDescription("The most recent measurements, oldest first; older ones are dropped (bounded retention).")
    public List<Measurement> measurements = new ArrayList<>();
}
