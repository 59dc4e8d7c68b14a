package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class Measurement {
    @JsonPropertyDescription("Successful, Failed, Inconclusive or Error.")
    public AnalysisPhase phase;

    @JsonPropertyDescription("The result as text: a number, a list of numbers, NaN, or empty.")
    public String value;

    @JsonPropertyDescription("Why the phase is what it is, e.g. 'no data: empty result' or the provider's error.")
    public String message;

    @JsonPropertyDescription("When the measurement was taken (RFC 3339).")
    public String startedAt;

    @JsonPropertyDescription("When it finished (RFC 3339).")
    public String finishedAt;
}
