package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** A named value: substituted into metric queries as {{args.NAME}}, or (from a Secret) a metric's credential. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!(has(self.value) && has(self.valueFrom))", message = "set value or valueFrom, not both")
public class AnalysisArg {
    @Required
    @Pattern("^[A-Za-z_][A-Za-z0-9_-]*$")
    @JsonPropertyDescription("Name of the arg, as used in {{args.NAME}}.")
    public String name;

    @JsonPropertyDescription("Literal value. In a template it is the default; a Rollout's value overrides it. "
            + "In a Prometheus query it is inserted as an escaped string literal.")
    public String value;

    @JsonPropertyDescription("Take the value from a Secret in the Rollout's namespace. Such an arg may only be a "
            + "metric's provider.prometheus.credentials, never part of a query (InvalidSpec): a query's answer would "
            + "reveal it. The value is read when a measurement is taken and is never written to status, events, logs "
            + "or metrics.")
    public ArgValueFrom valueFrom;
}
