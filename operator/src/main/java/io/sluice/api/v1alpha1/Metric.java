package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** One SLO measurement, taken repeatedly and judged by CEL conditions over its result. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.successCondition) || has(self.failureCondition)",
        message = "a metric needs a successCondition, a failureCondition, or both")
public class Metric {
    @Required
    @Pattern(Defaults.NAME_PATTERN)
    @JsonPropertyDescription("Name of the metric, unique in its template (a DNS label).")
    public String name;

    @Default(Defaults.METRIC_INTERVAL)
    @Pattern(Defaults.DURATION_PATTERN)
    @JsonPropertyDescription("Time between two measurements.")
    public String interval;

    @Default(Defaults.METRIC_INITIAL_DELAY)
    @Pattern(Defaults.DURATION_PATTERN)
    @JsonPropertyDescription("Wait this long after the analysis starts before the first measurement, e.g. to let "
            + "the canary receive traffic.")
    public String initialDelay;

    @Min(1)
    @JsonPropertyDescription("Number of measurements to take. Omitted: a step analysis takes one; a background "
            + "analysis measures until the rollout ends.")
    public Integer count;

    @Size(max = 1024)
    @JsonPropertyDescription("CEL expression over `result` (a number, or a list of numbers for a multi-series "
            + "result) that is true when the measurement is good, e.g. `result < 0.01`.")
    public String successCondition;

    @Size(max = 1024)
    @JsonPropertyDescription("CEL expression over `result` that is true when the measurement is bad. When both "
            + "conditions are set, a result that meets neither is Inconclusive.")
    public String failureCondition;

    @Min(0)
    @Default("0")
    @JsonPropertyDescription("Failed measurements tolerated; one more fails the metric.")
    public Integer failureLimit;

    @Min(0)
    @Default("0")
    @JsonPropertyDescription("Inconclusive measurements tolerated; one more makes the metric Inconclusive.")
    public Integer inconclusiveLimit;

    @Min(0)
    @Default("4")
    @JsonPropertyDescription("Consecutive measurement errors (provider unreachable, bad query) tolerated; one more "
            + "ends the metric in Error, which fails the analysis.")
    public Integer consecutiveErrorLimit;

    @JsonPropertyDescription("What an empty or NaN result, or too little traffic, means. By default it is "
            + "Inconclusive: never a silent pass.")
    public NoDataPolicy noData;

    @JsonPropertyDescription("Measure and report, but never let this metric's verdict affect the rollout.")
    public Boolean dryRun;

    @Required
    @JsonPropertyDescription("Where the measurement comes from.")
    public MetricProvider provider;
}
