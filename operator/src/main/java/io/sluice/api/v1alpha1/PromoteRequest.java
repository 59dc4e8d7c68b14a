package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class PromoteRequest extends ActionRequest {
    @JsonPropertyDescription("Skip all remaining steps and analyses and promote the canary now.")
    public Boolean full;
}
