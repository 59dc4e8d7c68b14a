package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class IstioTrafficRouting {
    @Required
    @JsonPropertyDescription("The VirtualService whose routes Sluice weights. Git declares the routes; Sluice owns "
            + "only the destinations and weights of the routes listed here.")
    public VirtualServiceRef virtualService;

    @JsonPropertyDescription("Split by DestinationRule subsets of one host instead of by the stable and canary "
            + "Services. Sluice owns only the two subsets' labels.")
    public DestinationRuleRef destinationRule;
}
