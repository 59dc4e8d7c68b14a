package io.sluice.traffic.istio;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.api.v1alpha1.DestinationRuleRef;
import io.sluice.traffic.RoutingTarget;
import io.sluice.traffic.TrafficRoutingException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static io.sluice.traffic.istio.IstioObject.maps;
import static io.sluice.traffic.istio.IstioObject.name;

/**
 * The two subsets of a DestinationRule that Sluice owns for a subset-level split: the stable and
 * canary subsets select the stable and canary pods by their labels. Every other subset and field
 * stays as Git wrote it, and so does everything of the two subsets except their labels (a subset's
 * own traffic policy, for example). Pure: works on copies.
 */
final class ManagedSubsets {
    private static final String SUBSETS = "subsets";
    private static final String NAME = "name";
    private static final String LABELS = "labels";
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private ManagedSubsets() {
    }

    /**
     * A copy of the DestinationRule whose stable and canary subsets carry exactly the stable and
     * canary pod labels; a subset Git did not declare is added at the end.
     *
     * @throws IllegalArgumentException when the target has no DestinationRule, or its pod labels are
     *     empty or equal (a subset would then select the other version's pods too)
     */
    static GenericKubernetesResource withLabels(GenericKubernetesResource destinationRule, RoutingTarget target) {
        DestinationRuleRef ref = requireSubsetSplit(target);
        GenericKubernetesResource copy = SERIALIZATION.clone(destinationRule);
        Map<String, Object> spec = new LinkedHashMap<>(IstioObject.spec(copy));
        copy.getAdditionalProperties().put("spec", spec);
        List<Object> subsets = spec.get(SUBSETS) instanceof List<?> list ? new ArrayList<>(list) : new ArrayList<>();
        setLabels(subsets, ref.stableSubsetName, target.stablePodLabels());
        setLabels(subsets, ref.canarySubsetName, target.canaryPodLabels());
        spec.put(SUBSETS, subsets);
        return copy;
    }

    /**
     * Checks that the DestinationRule's stable and canary subsets select the pods they should.
     *
     * @throws TrafficRoutingException SubsetNotFound when a subset is missing, SubsetNotVerified when
     *     its labels differ
     */
    static void verify(GenericKubernetesResource destinationRule, RoutingTarget target) throws TrafficRoutingException {
        DestinationRuleRef ref = requireSubsetSplit(target);
        verify(destinationRule, ref.stableSubsetName, target.stablePodLabels());
        verify(destinationRule, ref.canarySubsetName, target.canaryPodLabels());
    }

    private static void verify(GenericKubernetesResource destinationRule, String subsetName,
            Map<String, String> podLabels) throws TrafficRoutingException {
        Map<String, Object> subset = find(maps(IstioObject.spec(destinationRule).get(SUBSETS)), subsetName)
                .orElseThrow(() -> new TrafficRoutingException("SubsetNotFound", "DestinationRule "
                        + name(destinationRule) + " has no subset named " + subsetName));
        if (!podLabels.equals(subset.get(LABELS))) {
            throw new TrafficRoutingException("SubsetNotVerified", "subset " + subsetName + " of DestinationRule "
                    + name(destinationRule) + " selects " + subset.get(LABELS) + " instead of " + podLabels);
        }
    }

    private static void setLabels(List<Object> subsets, String subsetName, Map<String, String> podLabels) {
        Map<String, Object> subset = find(maps(subsets), subsetName).orElseGet(() -> {
            Map<String, Object> added = new LinkedHashMap<>();
            added.put(NAME, subsetName);
            subsets.add(added);
            return added;
        });
        // Sorted, so the object reads the same whatever order the labels came in.
        subset.put(LABELS, new TreeMap<>(podLabels));
    }

    private static Optional<Map<String, Object>> find(List<Map<String, Object>> subsets, String subsetName) {
        return subsets.stream().filter(subset -> subsetName.equals(subset.get(NAME))).findFirst();
    }

    private static DestinationRuleRef requireSubsetSplit(RoutingTarget target) {
        DestinationRuleRef ref = target.istio().destinationRule;
        if (ref == null) {
            throw new IllegalArgumentException("the Rollout splits by host, not by DestinationRule subsets");
        }
        Map<String, String> stable = target.stablePodLabels();
        Map<String, String> canary = target.canaryPodLabels();
        if (stable == null || canary == null || stable.isEmpty() || canary.isEmpty() || stable.equals(canary)) {
            throw new IllegalArgumentException("the stable and canary subsets need distinct, non-empty pod labels: "
                    + stable + " / " + canary);
        }
        return ref;
    }
}
