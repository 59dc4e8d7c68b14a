package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.stableSubsetName != self.canarySubsetName",
        message = "stableSubsetName and canarySubsetName must differ")
public class DestinationRuleRef {
    @Required
    @Pattern(Defaults.SUBDOMAIN_PATTERN)
    @JsonPropertyDescription("Name of the DestinationRule in the Rollout's namespace.")
    public String name;

    @Required
    @Pattern(Defaults.NAME_PATTERN)
    @JsonPropertyDescription("Subset that selects the stable pods.")
    public String stableSubsetName;

    @Required
    @Pattern(Defaults.NAME_PATTERN)
    @JsonPropertyDescription("Subset that selects the canary pods.")
    public String canarySubsetName;
}
