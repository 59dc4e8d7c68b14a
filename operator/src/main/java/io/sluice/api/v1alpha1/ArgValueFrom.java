package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class ArgValueFrom {
    @Required
    @JsonPropertyDescription("A key of a Secret in the namespace of the Rollout.")
    public SecretKeySelector secretKeyRef;
}
