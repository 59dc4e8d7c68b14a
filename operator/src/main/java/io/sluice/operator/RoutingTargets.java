package io.sluice.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.traffic.RoutingTarget;
import io.sluice.workload.Labels;
import io.sluice.workload.WorkloadModel;

import java.util.Map;
import java.util.Optional;

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
                .or(() -> client.services().inNamespace(namespace)
                        .withLabels(Map.of(Labels.ROLLOUT, rollout.getMetadata().getName(), Labels.ROLE, Labels.STABLE))
                        .list().getItems().stream().map(s -> s.getMetadata().getName().replaceFirst("-stable$", ""))
                        .findFirst())
                .orElse(rollout.getSpec().workloadRef.name);
        return new RoutingTarget(namespace, istio, WorkloadModel.serviceName(service, Labels.STABLE),
                WorkloadModel.serviceName(service, Labels.CANARY), WorkloadModel.podLabels(rollout, Labels.STABLE),
                WorkloadModel.podLabels(rollout, Labels.CANARY));
    }
}
