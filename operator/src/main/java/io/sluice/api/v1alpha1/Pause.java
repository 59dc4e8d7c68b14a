package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class Pause {
    @Pattern(Defaults.DURATION_PATTERN)
    @JsonPropertyDescription("How long to wait (30s, 2m, 1h). Omit it to wait until `kubectl sluice promote`.")
    public String duration;
}
