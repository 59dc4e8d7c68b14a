package io.sluice.traffic.istio;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.sluice.traffic.RoutingTarget;
import io.sluice.traffic.TrafficRoutingException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.sluice.traffic.istio.IstioFixtures.CANARY_PODS;
import static io.sluice.traffic.istio.IstioFixtures.NAMESPACE;
import static io.sluice.traffic.istio.IstioFixtures.byHost;
import static io.sluice.traffic.istio.IstioFixtures.bySubset;
import static io.sluice.traffic.istio.IstioFixtures.checkoutDestinationRule;
import static io.sluice.traffic.istio.IstioFixtures.json;
import static io.sluice.traffic.istio.IstioFixtures.tree;
import static io.sluice.traffic.istio.IstioFixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

class ManagedSubsetsTest {

    @Test
    void theManagedSubsetsSelectTheStableAndCanaryPodsAndEverythingElseStays() {
        GenericKubernetesResource fromGit = checkoutDestinationRule();
        String before = json(fromGit);

        GenericKubernetesResource managed = ManagedSubsets.withLabels(fromGit, bySubset("primary"));

        assertThat(json(fromGit)).as("the given object").isEqualTo(before);
        assertThat(tree(managed)).isEqualTo(tree(yaml("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: checkout, namespace: shop}
                spec:
                  host: checkout
                  trafficPolicy:
                    loadBalancer: {simple: ROUND_ROBIN}
                  subsets:
                  - name: stable
                    labels: {app: checkout, sluice.io/version: stable}
                    trafficPolicy:
                      connectionPool:
                        http: {http1MaxPendingRequests: 100}
                  - name: debug
                    labels: {app: checkout, debug: "true"}
                  - name: canary
                    labels: {app: checkout, sluice.io/version: canary}
                """)));
    }

    @Test
    void aDestinationRuleWithoutSubsetsGetsBoth() {
        GenericKubernetesResource managed = ManagedSubsets.withLabels(yaml("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: checkout}
                spec: {host: checkout}
                """), bySubset());

        assertThat(IstioObject.maps(IstioObject.spec(managed).get("subsets")))
                .extracting(subset -> subset.get("name"), subset -> subset.get("labels"))
                .containsExactly(
                        tuple("stable", IstioFixtures.STABLE_PODS),
                        tuple("canary", CANARY_PODS));
    }

    @Test
    void applyingItTwiceChangesNothing() {
        GenericKubernetesResource once = ManagedSubsets.withLabels(checkoutDestinationRule(), bySubset());

        assertThat(tree(ManagedSubsets.withLabels(once, bySubset()))).isEqualTo(tree(once));
    }

    @Test
    void verifyAcceptsSubsetsThatSelectTheRightPods() {
        GenericKubernetesResource managed = ManagedSubsets.withLabels(checkoutDestinationRule(), bySubset());

        assertThatCode(() -> ManagedSubsets.verify(managed, bySubset())).doesNotThrowAnyException();
    }

    @Test
    void verifyNamesAMissingSubset() {
        GenericKubernetesResource managed = ManagedSubsets.withLabels(checkoutDestinationRule(), bySubset());
        ((java.util.List<?>) IstioObject.spec(managed).get("subsets")).removeLast();

        assertThatThrownBy(() -> ManagedSubsets.verify(managed, bySubset()))
                .isInstanceOf(TrafficRoutingException.class)
                .hasMessage("DestinationRule checkout has no subset named canary")
                .extracting(e -> ((TrafficRoutingException) e).reason()).isEqualTo("SubsetNotFound");
    }

    @Test
    void verifyRejectsASubsetThatSelectsOtherPods() {
        GenericKubernetesResource managed = ManagedSubsets.withLabels(checkoutDestinationRule(), bySubset());
        IstioObject.maps(IstioObject.spec(managed).get("subsets")).getLast().put("labels", Map.of("app", "checkout"));

        assertThatThrownBy(() -> ManagedSubsets.verify(managed, bySubset()))
                .isInstanceOf(TrafficRoutingException.class)
                .hasMessageContaining("subset canary of DestinationRule checkout selects {app=checkout}")
                .extracting(e -> ((TrafficRoutingException) e).reason()).isEqualTo("SubsetNotVerified");
    }

    @Test
    void aHostSplitHasNoSubsets() {
        assertThatThrownBy(() -> ManagedSubsets.withLabels(checkoutDestinationRule(), byHost()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void subsetsThatWouldSelectTheSamePodsAreRefused() {
        RoutingTarget subsets = bySubset();
        RoutingTarget samePods = new RoutingTarget(NAMESPACE, subsets.istio(), subsets.stableHost(),
                subsets.canaryHost(), CANARY_PODS, CANARY_PODS);
        RoutingTarget noPods = new RoutingTarget(NAMESPACE, subsets.istio(), subsets.stableHost(),
                subsets.canaryHost(), Map.of(), CANARY_PODS);

        assertThatThrownBy(() -> ManagedSubsets.withLabels(checkoutDestinationRule(), samePods))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ManagedSubsets.withLabels(checkoutDestinationRule(), noPods))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
