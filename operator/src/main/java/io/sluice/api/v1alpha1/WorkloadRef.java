package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.kind) || self.kind == 'Deployment'", message = "kind must be Deployment (the only workload kind supported so far)")
@ValidationRule(value = "!has(self.apiVersion) || self.apiVersion == 'apps/v1'", message = "apiVersion must be apps/v1")
public class WorkloadRef {
    @Default(Defaults.WORKLOAD_API_VERSION)
    @JsonPropertyDescription("API version of the workload.")
    public String apiVersion;

    @Default(Defaults.WORKLOAD_KIND)
    @JsonPropertyDescription("Kind of the workload. Deployment is supported.")
    public String kind;

    @Required
    @Pattern(Defaults.SUBDOMAIN_PATTERN)
    @JsonPropertyDescription("Name of the workload as written in the manifests from the source.")
    public String name;

    public String kindOrDefault() {
        return kind != null ? kind : Defaults.WORKLOAD_KIND;
    }
}
