package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/** One traffic router. Istio exists today; Gateway API and others will be sibling fields. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "[has(self.istio)].exists_one(x, x)", message = "exactly one traffic router must be set (istio)")
public class TrafficRouting {
    @JsonPropertyDescription("Split traffic with an Istio VirtualService (and optionally DestinationRule subsets).")
    public IstioTrafficRouting istio;
}
