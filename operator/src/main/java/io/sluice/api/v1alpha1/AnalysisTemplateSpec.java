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
@ValidationRule(value = "!has(self.args) || self.args.all(a, self.args.exists_one(b, b.name == a.name))",
        message = "args must not repeat a name")
@JsonClassDescription("Args and metrics of the analysis.")
public class AnalysisTemplateSpec {
    @JsonPropertyDescription("Args the metrics' queries use as {{args.NAME}}, with optional default values.")
    public List<AnalysisArg> args;

    @Required
    @Size(min = 1, max = 20)
    @JsonPropertyDescription("The measurements to take. The analysis verdict is the worst verdict of its metrics "
            + "that are not dryRun.")
    public List<Metric> metrics;
}
