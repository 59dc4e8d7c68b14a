package io.sluice.traffic.istio;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.sluice.traffic.RoutingTarget;
import io.sluice.traffic.TrafficRoutingException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static io.sluice.traffic.istio.IstioFixtures.byHost;
import static io.sluice.traffic.istio.IstioFixtures.bySubset;
import static io.sluice.traffic.istio.IstioFixtures.checkoutVirtualService;
import static io.sluice.traffic.istio.IstioFixtures.json;
import static io.sluice.traffic.istio.IstioFixtures.tree;
import static io.sluice.traffic.istio.IstioFixtures.singleRouteVirtualService;
import static io.sluice.traffic.istio.IstioFixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

class ManagedRoutesTest {

    @Test
    void aHostSplitSendsTheWeightToTheCanaryServiceAndKeepsWhatGitWroteOnTheDestination() throws Exception {
        GenericKubernetesResource weighted = ManagedRoutes.weighted(checkoutVirtualService(), byHost("primary"), 5);

        assertThat(destinations(weighted, "primary")).isEqualTo(destinationsYaml("""
                - destination: {host: checkout-stable, port: {number: 8080}}
                  headers: {response: {add: {x-served-by: checkout}}}
                  weight: 95
                - destination: {host: checkout-canary, port: {number: 8080}}
                  headers: {response: {add: {x-served-by: checkout}}}
                  weight: 5
                """));
    }

    @Test
    void aSubsetSplitKeepsGitsHostAndNamesTheSubsets() throws Exception {
        GenericKubernetesResource weighted = ManagedRoutes.weighted(checkoutVirtualService(), bySubset("primary"), 30);

        assertThat(destinations(weighted, "primary")).isEqualTo(destinationsYaml("""
                - destination: {host: checkout, port: {number: 8080}, subset: stable}
                  headers: {response: {add: {x-served-by: checkout}}}
                  weight: 70
                - destination: {host: checkout, port: {number: 8080}, subset: canary}
                  headers: {response: {add: {x-served-by: checkout}}}
                  weight: 30
                """));
    }

    @Test
    void everythingButTheManagedRoutesDestinationsStaysAsGitWroteIt() throws Exception {
        GenericKubernetesResource fromGit = checkoutVirtualService();

        GenericKubernetesResource weighted = ManagedRoutes.weighted(fromGit, byHost("primary"), 50);
        route(weighted, "primary").put("route", route(fromGit, "primary").get("route"));

        assertThat(tree(weighted)).isEqualTo(tree(fromGit));
    }

    @Test
    void theGivenObjectIsNotModified() throws Exception {
        GenericKubernetesResource fromGit = checkoutVirtualService();
        String before = json(fromGit);

        ManagedRoutes.weighted(fromGit, byHost("primary"), 50);
        ManagedRoutes.weighted(fromGit, bySubset("primary"), 50);

        assertThat(json(fromGit)).isEqualTo(before);
    }

    @ParameterizedTest(name = "canary weight {0}")
    @ValueSource(ints = {0, 100})
    void atTheEndsBothDestinationsStayAndTheWeightsStillAddUpTo100(int canaryWeight) throws Exception {
        GenericKubernetesResource weighted =
                ManagedRoutes.weighted(checkoutVirtualService(), byHost("primary"), canaryWeight);

        assertThat(destinations(weighted, "primary"))
                .extracting(d -> IstioObject.map(d.get("destination")).get("host"), d -> d.get("weight"))
                .containsExactly(
                        tuple("checkout-stable", 100 - canaryWeight),
                        tuple("checkout-canary", canaryWeight));
    }

    @Test
    void reweightingAWeightedObjectOnlyChangesTheWeights() throws Exception {
        RoutingTarget target = byHost("primary");
        GenericKubernetesResource atFive = ManagedRoutes.weighted(checkoutVirtualService(), target, 5);

        GenericKubernetesResource atFifty = ManagedRoutes.weighted(atFive, target, 50);

        assertThat(json(atFifty)).isEqualTo(json(ManagedRoutes.weighted(checkoutVirtualService(), target, 50)));
        assertThat(json(ManagedRoutes.weighted(atFifty, target, 50))).isEqualTo(json(atFifty));
    }

    @Test
    void everyNamedRouteIsWeightedAndTheOthersAreNot() throws Exception {
        GenericKubernetesResource weighted =
                ManagedRoutes.weighted(checkoutVirtualService(), byHost("primary", "admin"), 20);

        assertThat(destinations(weighted, "admin")).extracting(d -> d.get("weight")).containsExactly(80, 20);
        assertThat(destinations(weighted, "admin")).extracting(d -> IstioObject.map(d.get("destination")))
                .containsExactly(Map.of("host", "checkout-stable", "port", Map.of("number", 9090)),
                        Map.of("host", "checkout-canary", "port", Map.of("number", 9090)));
        assertThat(route(weighted, "legacy")).isEqualTo(route(checkoutVirtualService(), "legacy"));
    }

    @Test
    void withoutRouteNamesTheOnlyHttpRouteIsManaged() throws Exception {
        GenericKubernetesResource weighted = ManagedRoutes.weighted(singleRouteVirtualService(), byHost(), 10);

        assertThat(IstioObject.maps(IstioObject.spec(weighted).get("http")).getFirst().get("route"))
                .isEqualTo(destinationsYaml("""
                        - {destination: {host: checkout-stable}, weight: 90}
                        - {destination: {host: checkout-canary}, weight: 10}
                        """));
    }

    @Test
    void withoutRouteNamesSeveralHttpRoutesAreAnError() {
        assertThatThrownBy(() -> ManagedRoutes.weighted(checkoutVirtualService(), byHost(), 10))
                .isInstanceOf(TrafficRoutingException.class)
                .hasMessageContaining("has 3 HTTP routes")
                .extracting(e -> ((TrafficRoutingException) e).reason()).isEqualTo("RouteNotFound");
    }

    @Test
    void aMissingRouteIsNamed() {
        assertThatThrownBy(() -> ManagedRoutes.weighted(checkoutVirtualService(), byHost("primary", "checkout-v2"), 10))
                .isInstanceOf(TrafficRoutingException.class)
                .hasMessage("VirtualService checkout has no HTTP route named checkout-v2")
                .extracting(e -> ((TrafficRoutingException) e).reason()).isEqualTo("RouteNotFound");
    }

    @Test
    void aRouteThatForwardsNowhereCannotBeWeighted() {
        assertThatThrownBy(() -> ManagedRoutes.weighted(checkoutVirtualService(), byHost("legacy"), 10))
                .isInstanceOf(TrafficRoutingException.class)
                .hasMessageContaining("legacy")
                .extracting(e -> ((TrafficRoutingException) e).reason()).isEqualTo("RouteHasNoDestination");
    }

    @ParameterizedTest(name = "canary weight {0}")
    @ValueSource(ints = {-1, 101})
    void aWeightIsAPercentage(int canaryWeight) {
        assertThatThrownBy(() -> ManagedRoutes.weighted(checkoutVirtualService(), byHost("primary"), canaryWeight))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theCanaryWeightOfGitsRouteIsZero() throws Exception {
        assertThat(ManagedRoutes.canaryWeight(checkoutVirtualService(), byHost("primary"))).isZero();
        assertThat(ManagedRoutes.canaryWeight(singleRouteVirtualService(), bySubset())).isZero();
    }

    @ParameterizedTest(name = "canary weight {0}")
    @ValueSource(ints = {0, 5, 50, 100})
    void theCanaryWeightReadsBackWhatWasWritten(int canaryWeight) throws Exception {
        for (RoutingTarget target : List.of(byHost("primary", "admin"), bySubset("primary", "admin"))) {
            GenericKubernetesResource weighted = ManagedRoutes.weighted(checkoutVirtualService(), target, canaryWeight);

            assertThat(ManagedRoutes.canaryWeight(weighted, target)).isEqualTo(canaryWeight);
            assertThat(ManagedRoutes.routesNotCarrying(weighted, target, canaryWeight)).isEmpty();
        }
    }

    @Test
    void weightsAreReadRelativeToTheirSumAsIstioDoes() throws Exception {
        GenericKubernetesResource vs = yaml("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: checkout}
                spec:
                  http:
                  - route:
                    - {destination: {host: checkout-stable}, weight: 1}
                    - {destination: {host: checkout-canary}, weight: 3}
                """);

        assertThat(ManagedRoutes.canaryWeight(vs, byHost())).isEqualTo(75);
    }

    @Test
    void aLoneCanaryDestinationWithoutWeightTakesEverything() throws Exception {
        GenericKubernetesResource vs = yaml("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: checkout}
                spec:
                  http:
                  - route: [{destination: {host: checkout-canary}}]
                """);

        assertThat(ManagedRoutes.canaryWeight(vs, byHost())).isEqualTo(100);
    }

    @Test
    void managedRoutesThatDisagreeAreReported() throws Exception {
        RoutingTarget both = byHost("primary", "admin");
        GenericKubernetesResource vs = ManagedRoutes.weighted(checkoutVirtualService(), both, 10);
        IstioObject.maps(route(vs, "admin").get("route")).get(0).put("weight", 60);
        IstioObject.maps(route(vs, "admin").get("route")).get(1).put("weight", 40);

        assertThatThrownBy(() -> ManagedRoutes.canaryWeight(vs, both))
                .isInstanceOf(TrafficRoutingException.class)
                .hasMessageContaining("{primary=10, admin=40}")
                .extracting(e -> ((TrafficRoutingException) e).reason()).isEqualTo("RouteWeightsDiffer");
        assertThat(ManagedRoutes.routesNotCarrying(vs, both, 10)).singleElement().asString().startsWith("admin ");
    }

    static Map<String, Object> route(GenericKubernetesResource vs, String name) {
        return IstioObject.maps(IstioObject.spec(vs).get("http")).stream()
                .filter(route -> name.equals(route.get("name"))).findFirst().orElseThrow();
    }

    static List<Map<String, Object>> destinations(GenericKubernetesResource vs, String routeName) {
        return IstioObject.maps(route(vs, routeName).get("route"));
    }

    private static Object destinationsYaml(String yaml) {
        return IstioObject.spec(yaml("spec:\n  route:\n" + yaml.indent(2))).get("route");
    }
}
