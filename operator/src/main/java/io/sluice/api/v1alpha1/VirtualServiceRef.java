package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.routes) || self.routes.all(r, self.routes.exists_one(x, x == r))",
        message = "routes must not repeat a name")
public class VirtualServiceRef {
    @Required
    @Pattern(Defaults.SUBDOMAIN_PATTERN)
    @JsonPropertyDescription("Name of the VirtualService in the Rollout's namespace (usually one of the manifests "
            + "from Git).")
    public String name;

    @JsonPropertyDescription("Names of the HTTP routes to weight. May be omitted when the VirtualService has exactly "
            + "one HTTP route.")
    public List<String> routes;
}
