package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/** One of the delivery strategies. Only canary exists today; blue-green will be a sibling field. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "[has(self.canary)].exists_one(x, x)", message = "exactly one strategy must be set (canary)")
public class Strategy {
    @JsonPropertyDescription("Run the new revision beside the stable one and shift traffic to it step by step.")
    public CanaryStrategy canary;
}
