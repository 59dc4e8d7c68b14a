package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/**
 * A one-off request a person makes of a rollout. The operator acts on each id once and records it
 * in status.handledRequests, so a request survives operator restarts and is never applied twice.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ActionRequest {
    @Required
    @Size(min = 1, max = 64)
    @JsonPropertyDescription("Unique id of the request; the kubectl plugin uses the current time. A request whose id "
            + "was already handled is ignored.")
    public String id;
}
