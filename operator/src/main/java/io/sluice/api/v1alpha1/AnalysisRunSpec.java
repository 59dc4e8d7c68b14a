package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.metrics.all(m, self.metrics.exists_one(n, n.name == m.name))",
        message = "metric names must be unique")
@JsonClassDescription("What the run measures; fixed when the run is created.")
public class AnalysisRunSpec {
    @Required
    @Size(min = 1, max = 50)
    @JsonPropertyDescription("The metrics to measure, copied from the templates when the run was created, so a "
            + "later template edit does not change a run in progress.")
    public List<Metric> metrics;

    @JsonPropertyDescription("Resolved args. Args from Secrets stay references here; their values are never stored.")
    public List<AnalysisArg> args;

    @JsonPropertyDescription("Stop measuring (set when the rollout moves on); a run stopped before its verdict is Inconclusive, never Successful, and keeps what it measured.")
    public Boolean terminate;
}
