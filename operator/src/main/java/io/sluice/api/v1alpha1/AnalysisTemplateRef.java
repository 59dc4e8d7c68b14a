package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class AnalysisTemplateRef {
    @Required
    @Pattern(Defaults.SUBDOMAIN_PATTERN)
    @JsonPropertyDescription("Name of an AnalysisTemplate in the Rollout's namespace, or of a "
            + "ClusterAnalysisTemplate when clusterScope is true.")
    public String name;

    @JsonPropertyDescription("Refer to a ClusterAnalysisTemplate instead of a namespaced AnalysisTemplate.")
    public Boolean clusterScope;

    public AnalysisTemplateRef() {
    }

    public AnalysisTemplateRef(String name, boolean clusterScope) {
        this.name = name;
        this.clusterScope = clusterScope;
    }

    public boolean clusterScoped() {
        return Boolean.TRUE.equals(clusterScope);
    }
}
