package io.sluice.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.api.v1alpha1.AnalysisTemplate;
import io.sluice.api.v1alpha1.AnalysisTemplateRef;
import io.sluice.api.v1alpha1.AnalysisTemplateSpec;
import io.sluice.api.v1alpha1.ClusterAnalysisTemplate;
import io.sluice.api.v1alpha1.Metric;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Looks up the templates an analysis names: an AnalysisTemplate in the Rollout's namespace or a ClusterAnalysisTemplate. */
final class AnalysisTemplates {

    private AnalysisTemplates() {
    }

    static Optional<AnalysisTemplateSpec> find(KubernetesClient client, AnalysisTemplateRef ref, String namespace) {
        if (ref.clusterScoped()) {
            return Optional.ofNullable(client.resources(ClusterAnalysisTemplate.class).withName(ref.name).get())
                    .map(ClusterAnalysisTemplate::getSpec);
        }
        return Optional.ofNullable(client.resources(AnalysisTemplate.class).inNamespace(namespace).withName(ref.name).get())
                .map(AnalysisTemplate::getSpec);
    }

    /** How a reference is named in messages. */
    static String label(AnalysisTemplateRef ref) {
        return ref.clusterScoped() ? "ClusterAnalysisTemplate " + ref.name : ref.name;
    }

    /** Adds a found template's metric names under {@link #label} (a template listed twice adds them twice). */
    static void addMetricNames(Map<String, List<String>> names, AnalysisTemplateRef ref, AnalysisTemplateSpec spec) {
        names.merge(label(ref), spec.metrics == null ? List.of() : spec.metrics.stream().map((Metric m) -> m.name).toList(),
                (a, b) -> java.util.stream.Stream.concat(a.stream(), b.stream()).toList());
    }
}
