package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * "No data" is its own outcome: an empty result, NaN (0/0 when the canary got no requests), or
 * less traffic than the minimum. It is judged by this policy, never by the success condition.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.trafficQuery) == has(self.minTraffic)",
        message = "trafficQuery and minTraffic go together")
@ValidationRule(value = "!has(self.outcome) || self.outcome in ['Inconclusive', 'Failed', 'Successful']",
        message = "outcome must be Inconclusive, Failed or Successful")
public class NoDataPolicy {
    @Default(Defaults.NO_DATA_OUTCOME)
    @JsonPropertyDescription("How a measurement without data counts: Inconclusive (default), Failed, or Successful.")
    public String outcome;

    @Min(1)
    @Default("1")
    @JsonPropertyDescription("Fewest series a result must have to count as data.")
    public Integer minSamples;

    @Size(max = 4096)
    @JsonPropertyDescription("Query that returns how many requests the canary served over the measured window, "
            + "e.g. sum(increase(istio_requests_total{destination_workload=\"{{args.service}}-canary\"}[1m])).")
    public String trafficQuery;

    @Min(0)
    @JsonPropertyDescription("A trafficQuery result below this means no data.")
    public Double minTraffic;
}
