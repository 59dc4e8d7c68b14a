package io.sluice.operator;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.traffic.RoutingTarget;
import io.sluice.workload.Labels;
import io.sluice.workload.WorkloadModel;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Where a Rollout's traffic is split: the stable and canary copies of the Service the VirtualService routes to. */
final class RoutingTargets {
    private RoutingTargets() {
    }

    /**
     * @param serviceFromGit the routed Service as the current revision declares it; without one (Git
     *                       down, or no revision at hand) the stable copy is found by its labels, so
     *                       that traffic can always be sent back to stable
     */
    static RoutingTarget of(KubernetesClient client, Rollout rollout, Optional<String> serviceFromGit) {
        String namespace = rollout.getMetadata().getNamespace();
        var istio = rollout.getSpec().strategy.canary.trafficRouting.istio;
        String service = serviceFromGit
                .or(() -> routedStableService(client, rollout))
                .orElse(rollout.getSpec().workloadRef.name);
        return new RoutingTarget(namespace, istio, WorkloadModel.serviceName(service, Labels.STABLE),
                WorkloadModel.serviceName(service, Labels.CANARY), WorkloadModel.podLabels(rollout, Labels.STABLE),
                WorkloadModel.podLabels(rollout, Labels.CANARY));
    }

    /**
     * The Service (as Git names it) whose stable copy Sluice made for this Rollout, found by labels;
     * when the workload has several, the one whose stable copy the live VirtualService's managed
     * routes send traffic to.
     */
    private static Optional<String> routedStableService(KubernetesClient client, Rollout rollout) {
        String namespace = rollout.getMetadata().getNamespace();
        List<String> candidates = client.services().inNamespace(namespace)
                .withLabels(Map.of(Labels.ROLLOUT, rollout.getMetadata().getName(), Labels.ROLE, Labels.STABLE))
                .list().getItems().stream().map(s -> s.getMetadata().getName()).sorted().toList();
        if (candidates.size() <= 1) {
            return candidates.stream().findFirst().map(RoutingTargets::withoutRole);
        }
        var virtualService = rollout.getSpec().strategy.canary.trafficRouting.istio.virtualService;
        Set<String> routedHosts = new HashSet<>();
        GenericKubernetesResource vs = client.genericKubernetesResources("networking.istio.io/v1", "VirtualService")
                .inNamespace(namespace).withName(virtualService.name).get();
        if (vs != null && vs.getAdditionalProperties().get("spec") instanceof Map<?, ?> spec
                && spec.get("http") instanceof List<?> http) {
            for (Object r : http) {
                if (r instanceof Map<?, ?> route && (virtualService.routes == null || virtualService.routes.isEmpty()
                        || virtualService.routes.contains(route.get("name"))) && route.get("route") instanceof List<?> dests) {
                    for (Object d : dests) {
                        if (d instanceof Map<?, ?> dm && dm.get("destination") instanceof Map<?, ?> dest
                                && dest.get("host") instanceof String host) {
                            routedHosts.add(host.split("\\.")[0]);
                        }
                    }
                }
            }
        }
        return Optional.of(withoutRole(candidates.stream().filter(routedHosts::contains).findFirst().orElse(candidates.getFirst())));
    }

    private static String withoutRole(String stableServiceName) {
        return stableServiceName.replaceFirst("-stable$", "");
    }
}
