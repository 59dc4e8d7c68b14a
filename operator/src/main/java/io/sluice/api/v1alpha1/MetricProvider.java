package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/** One metric source. Prometheus exists today; others will be sibling fields. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "[has(self.prometheus)].exists_one(x, x)", message = "exactly one provider must be set (prometheus)")
public class MetricProvider {
    @JsonPropertyDescription("An instant PromQL query against a Prometheus configured in the operator.")
    public PrometheusMetric prometheus;
}
