package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class HandledRequests {
    @JsonPropertyDescription("Id of the last spec.promote acted on.")
    public String promote;

    @JsonPropertyDescription("Id of the last spec.abort acted on.")
    public String abort;

    @JsonPropertyDescription("Id of the last spec.retry acted on.")
    public String retry;
}
