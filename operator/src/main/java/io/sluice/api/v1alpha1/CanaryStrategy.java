package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.steps) || self.steps.exists(s, has(s.setWeight) && s.setWeight > 0) || !self.steps.exists(s, has(s.analysis))",
        message = "a step analysis needs canary traffic: add a setWeight step with a weight above 0 before it")
public class CanaryStrategy {
    @Required
    @JsonPropertyDescription("How traffic is split between the stable and the canary version.")
    public TrafficRouting trafficRouting;

    @Size(max = 100)
    @JsonPropertyDescription("The steps a new revision goes through, in order. After the last step the canary is "
            + "promoted. With no steps, a new revision is promoted as soon as it is available.")
    public List<CanaryStep> steps;

    @JsonPropertyDescription("Analysis that runs in the background from the first step until promotion; a failure "
            + "at any time rolls the canary back.")
    public RolloutAnalysis analysis;

    @Min(0)
    @Default("30")
    @JsonPropertyDescription("Seconds to keep the canary's pods after an abort or rollback (traffic is moved off "
            + "it at once), so that they can be inspected.")
    public Integer abortScaleDownDelaySeconds;
}
