package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** A reference to an object in the same namespace as the referrer. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LocalObjectReference {
    @Required
    @Pattern(Defaults.SUBDOMAIN_PATTERN)
    @JsonPropertyDescription("Name of the object, in the referrer's namespace.")
    public String name;

    public LocalObjectReference() {
    }

    public LocalObjectReference(String name) {
        this.name = name;
    }
}
