package io.sluice.core;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.sluice.api.v1alpha1.DestinationRuleRef;
import io.sluice.api.v1alpha1.IstioTrafficRouting;
import io.sluice.api.v1alpha1.RolloutSpec;
import io.sluice.manifest.ManifestSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Checks what CEL cannot: that the objects a Rollout names exist and fit. Pure: the caller looks
 * the objects up (in the manifests from Git first, then in the cluster) and passes what it found.
 */
public final class ReferenceCheck {

    /** What the caller found for the Rollout's references. */
    public record Found(List<String> missingTemplates,
                        Optional<GenericKubernetesResource> virtualService,
                        Optional<GenericKubernetesResource> destinationRule) {
    }

    private ReferenceCheck() {
    }

    public static List<Problem> problemsWithTemplates(List<String> missingTemplates, String namespace) {
        if (missingTemplates.isEmpty()) {
            return List.of();
        }
        return List.of(new Problem("AnalysisTemplateNotFound", "analysis template(s) not found: "
                + String.join(", ", missingTemplates) + " (namespace " + namespace + ")"));
    }

    /**
     * Metrics are never merged across the templates of one analysis: two templates that both define
     * a metric of the same name would make one silently replace the other (an always-passing check
     * could stand in for the real one), so that is an InvalidSpec naming both templates.
     *
     * @param analysis how the analysis is named in the message, e.g. "the analysis of step 2"
     * @param metricsByTemplate each template's metric names, in the order the analysis lists them
     */
    public static List<Problem> duplicateMetrics(String analysis, Map<String, List<String>> metricsByTemplate) {
        Map<String, List<String>> templatesByMetric = new java.util.LinkedHashMap<>();
        metricsByTemplate.forEach((template, metrics) -> metrics.stream().filter(Objects::nonNull)
                .forEach(metric -> templatesByMetric.computeIfAbsent(metric, m -> new ArrayList<>()).add(template)));
        List<Problem> problems = new ArrayList<>();
        templatesByMetric.forEach((metric, templates) -> {
            if (templates.size() > 1) {
                problems.add(new Problem("InvalidSpec", "metric " + metric + " is defined more than once in " + analysis
                        + " (templates " + String.join(" and ", templates) + "); metrics are not merged, rename one"));
            }
        });
        return problems;
    }

    public static List<Problem> problems(RolloutSpec spec, String namespace, String path, ManifestSet manifests, Found found) {
        List<Problem> problems = new ArrayList<>(problemsWithTemplates(found.missingTemplates(), namespace));
        String workload = spec.workloadRef.name;
        if (manifests.find("apps", spec.workloadRef.kindOrDefault(), workload).isEmpty()) {
            problems.add(new Problem("WorkloadNotFound", spec.workloadRef.kindOrDefault() + " " + workload
                    + " is not among the manifests at path '" + path + "' (" + describe(manifests) + ")"));
        }
        IstioTrafficRouting istio = spec.strategy.canary.trafficRouting.istio;
        String vsName = istio.virtualService.name;
        found.virtualService().ifPresentOrElse(
                vs -> problems.addAll(routeProblems(vsName, vs, istio.virtualService.routes)),
                () -> problems.add(new Problem("VirtualServiceNotFound", "VirtualService " + vsName
                        + " is neither among the manifests nor in namespace " + namespace)));
        if (istio.destinationRule != null) {
            DestinationRuleRef dr = istio.destinationRule;
            found.destinationRule().ifPresentOrElse(
                    rule -> problems.addAll(subsetProblems(dr, rule)),
                    () -> problems.add(new Problem("DestinationRuleNotFound", "DestinationRule " + dr.name
                            + " is neither among the manifests nor in namespace " + namespace)));
        }
        return problems;
    }

    private static List<Problem> routeProblems(String vsName, GenericKubernetesResource vs, List<String> wanted) {
        List<String> routes = namesOf(vs, "http");
        if (wanted == null || wanted.isEmpty()) {
            return routes.size() == 1 ? List.of() : List.of(new Problem("RouteNotFound", "VirtualService " + vsName
                    + " has " + routes.size() + " HTTP routes; name the ones Sluice manages in "
                    + "trafficRouting.istio.virtualService.routes"));
        }
        List<String> missing = wanted.stream().filter(r -> !routes.contains(r)).toList();
        return missing.isEmpty() ? List.of() : List.of(new Problem("RouteNotFound", "VirtualService " + vsName
                + " has no HTTP route named " + String.join(", ", missing) + " (its named routes: "
                + (routes.stream().anyMatch(Objects::nonNull)
                        ? String.join(", ", routes.stream().filter(Objects::nonNull).toList()) : "none") + ")"));
    }

    private static List<Problem> subsetProblems(DestinationRuleRef ref, GenericKubernetesResource rule) {
        List<String> subsets = namesOf(rule, "subsets");
        List<String> missing = java.util.stream.Stream.of(ref.stableSubsetName, ref.canarySubsetName)
                .filter(s -> !subsets.contains(s)).toList();
        return missing.isEmpty() ? List.of() : List.of(new Problem("SubsetNotFound", "DestinationRule " + ref.name
                + " has no subset named " + String.join(", ", missing)));
    }

    /** The "name" of each element of spec.{field} (null for unnamed elements). */
    private static List<String> namesOf(GenericKubernetesResource object, String field) {
        Object spec = object.getAdditionalProperties().get("spec");
        if (!(spec instanceof Map<?, ?> specMap) || !(specMap.get(field) instanceof List<?> items)) {
            return List.of();
        }
        return items.stream().map(i -> i instanceof Map<?, ?> m && m.get("name") instanceof String s ? s : null).toList();
    }

    private static String describe(ManifestSet manifests) {
        if (manifests.all().isEmpty()) {
            return "no objects found";
        }
        return "found: " + String.join(", ", manifests.all().stream().map(m -> m.kind() + " " + m.name()).toList());
    }
}
