package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

import java.util.Objects;

/** A condition following the Kubernetes API conventions (metav1.Condition). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.status in ['True', 'False', 'Unknown']", message = "status must be True, False or Unknown")
public class Condition {
    public static final String TRUE = "True";
    public static final String FALSE = "False";
    public static final String UNKNOWN = "Unknown";

    @Required
    @Pattern("^[A-Z][A-Za-z0-9]*$")
    @JsonPropertyDescription("Type of condition in CamelCase, e.g. SourceReady.")
    public String type;

    @Required
    @JsonPropertyDescription("True, False or Unknown.")
    public String status;

    @Required
    @Pattern("^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")
    @JsonPropertyDescription("Machine-readable reason for the last transition, in CamelCase.")
    public String reason;

    @Size(max = 32768)
    @JsonPropertyDescription("Human-readable details.")
    public String message;

    @JsonPropertyDescription("The metadata.generation the condition was computed from.")
    public Long observedGeneration;

    @Required
    @JsonPropertyDescription("When status last changed (RFC 3339).")
    public String lastTransitionTime;

    public Condition() {
    }

    public Condition(String type, String status, String reason, String message) {
        this.type = type;
        this.status = status;
        this.reason = reason;
        this.message = message;
    }

    @JsonIgnore
    public boolean isTrue() {
        return TRUE.equals(status);
    }

    /** Same type, status, reason and message: what a reader cares about, so a change here is news. */
    public boolean sameStateAs(Condition other) {
        return other != null && Objects.equals(type, other.type) && Objects.equals(status, other.status)
                && Objects.equals(reason, other.reason) && Objects.equals(message, other.message);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Condition c && sameStateAs(c)
                && Objects.equals(observedGeneration, c.observedGeneration)
                && Objects.equals(lastTransitionTime, c.lastTransitionTime);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, status, reason, message, observedGeneration, lastTransitionTime);
    }
}
