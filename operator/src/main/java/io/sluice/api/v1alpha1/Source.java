package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "[has(self.git)].exists_one(x, x)", message = "exactly one source must be set (git)")
public class Source {
    @JsonPropertyDescription("A folder of YAML manifests in a Git repository.")
    public GitSource git;
}
