package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.args) || self.args.all(a, self.args.exists_one(b, b.name == a.name))",
        message = "args must not repeat a name")
public class RolloutAnalysis {
    @Required
    @Size(min = 1, max = 10)
    @JsonPropertyDescription("Templates whose metrics make up the analysis; the verdict is the worst of them.")
    public List<AnalysisTemplateRef> templates;

    @JsonPropertyDescription("Values for the templates' args; they override the templates' defaults.")
    public List<AnalysisArg> args;
}
