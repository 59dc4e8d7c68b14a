package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "[has(self.setWeight), has(self.pause), has(self.analysis)].exists_one(x, x)",
        message = "each step must set exactly one of setWeight, pause, analysis")
public class CanaryStep {
    @Min(0)
    @Max(100)
    @JsonPropertyDescription("Send this percentage (0-100) of traffic to the canary.")
    public Integer setWeight;

    @JsonPropertyDescription("Wait: for a duration, or, without one, until promoted by a person.")
    public Pause pause;

    @JsonPropertyDescription("Run an analysis and wait for its verdict: Successful continues, Failed rolls back, "
            + "Inconclusive pauses.")
    public RolloutAnalysis analysis;

    public static CanaryStep weight(int percent) {
        CanaryStep step = new CanaryStep();
        step.setWeight = percent;
        return step;
    }
}
