package io.sluice.traffic;

import io.sluice.api.v1alpha1.IstioTrafficRouting;

import java.util.Map;

/**
 * What a router works on for one Rollout.
 *
 * @param namespace           the Rollout's namespace
 * @param istio               the Rollout's Istio settings (VirtualService name and managed routes,
 *                            optional DestinationRule and subset names)
 * @param stableHost          the Service that selects only the stable pods (host-level split)
 * @param canaryHost          the Service that selects only the canary pods (host-level split)
 * @param stablePodLabels     labels that select only the stable pods (the stable subset's labels)
 * @param canaryPodLabels     labels that select only the canary pods (the canary subset's labels)
 */
public record RoutingTarget(String namespace, IstioTrafficRouting istio, String stableHost, String canaryHost,
                            Map<String, String> stablePodLabels, Map<String, String> canaryPodLabels) {
}
