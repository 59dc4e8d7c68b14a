package io.sluice.traffic.istio;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.sluice.testing.kube.MockKubeApi;
import io.sluice.traffic.RoutingTarget;
import io.sluice.traffic.TrafficRoutingException;
import io.sluice.traffic.istio.ObservedClient.Write;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static io.sluice.traffic.istio.IstioFixtures.CANARY_PODS;
import static io.sluice.traffic.istio.IstioFixtures.NAMESPACE;
import static io.sluice.traffic.istio.IstioFixtures.byHost;
import static io.sluice.traffic.istio.IstioFixtures.bySubset;
import static io.sluice.traffic.istio.IstioFixtures.checkoutDestinationRule;
import static io.sluice.traffic.istio.IstioFixtures.checkoutVirtualService;
import static io.sluice.traffic.istio.IstioFixtures.tree;
import static io.sluice.traffic.istio.ManagedRoutesTest.destinations;
import static io.sluice.traffic.istio.ManagedRoutesTest.route;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/** The router against the mock API: what it stores, when it writes, and how it handles other writers. */
class IstioTrafficRouterMockTest {

    @RegisterExtension
    static final MockKubeApi api = MockKubeApi.start();

    private static final String VIRTUAL_SERVICES = "virtualservices";
    private static final String DESTINATION_RULES = "destinationrules";

    private ObservedClient observed;
    private IstioTrafficRouter router;

    @BeforeEach
    void routerOnAnObservedClient() {
        observed = new ObservedClient(api.server().clientConfig());
        router = new IstioTrafficRouter(observed.client());
    }

    @AfterEach
    void removeObjects() {
        observed.close();
        virtualServices().delete();
        destinationRules().delete();
    }

    @Test
    void aHostSplitGoesFromZeroToFiveToFiftyToHundredAndBackTouchingOnlyTheManagedRoute() throws Exception {
        GenericKubernetesResource fromGit = create(virtualServices(), checkoutVirtualService());
        RoutingTarget target = byHost("primary");

        for (int weight : List.of(0, 5, 50, 100, 0)) {
            router.setWeight(target, weight);

            GenericKubernetesResource stored = virtualService();
            assertThat(destinations(stored, "primary"))
                    .as("weight %d", weight)
                    .extracting(d -> IstioObject.map(d.get("destination")), d -> d.get("headers"), d -> d.get("weight"))
                    .containsExactly(
                            tuple(Map.of("host", "checkout-stable", "port", Map.of("number", 8080)),
                                    Map.of("response", Map.of("add", Map.of("x-served-by", "checkout"))), 100 - weight),
                            tuple(Map.of("host", "checkout-canary", "port", Map.of("number", 8080)),
                                    Map.of("response", Map.of("add", Map.of("x-served-by", "checkout"))), weight));
            assertThat(router.currentWeight(target)).isEqualTo(weight);
            route(stored, "primary").put("route", route(fromGit, "primary").get("route"));
            assertThat(tree(stored.getAdditionalProperties())).as("everything but the managed destinations")
                    .isEqualTo(tree(fromGit.getAdditionalProperties()));
            assertThat(stored.getMetadata().getLabels()).isEqualTo(fromGit.getMetadata().getLabels());
        }
        assertThat(observed.writes()).as("one update per weight change")
                .extracting(Write::method, Write::code).containsOnly(tuple("PUT", 200)).hasSize(5);
    }

    @Test
    void aWeightAlreadyInPlaceIsNotWrittenAgain() throws Exception {
        create(virtualServices(), checkoutVirtualService());
        router.setWeight(byHost("primary"), 5);
        String resourceVersion = virtualService().getMetadata().getResourceVersion();

        router.setWeight(byHost("primary"), 5);

        assertThat(virtualService().getMetadata().getResourceVersion()).isEqualTo(resourceVersion);
        assertThat(observed.writes()).hasSize(1);
    }

    @Test
    void aChangeByAnotherWriterBetweenReadAndWriteIsReadAgainAndKept() throws Exception {
        create(virtualServices(), checkoutVirtualService());
        AtomicInteger gitSyncs = new AtomicInteger();
        observed.beforeRequest((method, path) -> {
            if (method.equals("PUT") && path.endsWith("/virtualservices/checkout") && gitSyncs.getAndIncrement() == 0) {
                // Git sync lands between the router's read and its write: a longer timeout for the route.
                GenericKubernetesResource synced = virtualService();
                route(synced, "primary").put("timeout", "20s");
                virtualServices().resource(synced).update();
            }
        });

        router.setWeight(byHost("primary"), 10);

        GenericKubernetesResource stored = virtualService();
        assertThat(route(stored, "primary").get("timeout")).as("Git's change").isEqualTo("20s");
        assertThat(destinations(stored, "primary")).extracting(d -> d.get("weight")).containsExactly(90, 10);
        assertThat(observed.writes()).extracting(Write::code).as("stale write refused, then written again")
                .containsExactly(409, 200);
    }

    @Test
    void aWriterThatAlwaysGetsInBetweenMakesTheRouterGiveUpAfterBoundedAttempts() throws Exception {
        create(virtualServices(), checkoutVirtualService());
        observed.beforeRequest((method, path) -> {
            if (method.equals("PUT")) {
                GenericKubernetesResource synced = virtualService();
                synced.getMetadata().getLabels().put("synced", String.valueOf(System.nanoTime()));
                virtualServices().resource(synced).update();
            }
        });

        assertThatThrownBy(() -> router.setWeight(byHost("primary"), 10))
                .isInstanceOf(TrafficRoutingException.class)
                .hasMessageContaining("changed under every one of " + IstioTrafficRouter.WRITE_ATTEMPTS + " writes")
                .extracting(e -> ((TrafficRoutingException) e).reason()).isEqualTo("WriteConflict");
        assertThat(observed.writes()).extracting(Write::code)
                .hasSize(IstioTrafficRouter.WRITE_ATTEMPTS).containsOnly(409);
        assertThat(destinations(virtualService(), "primary")).as("the route as Git wrote it")
                .extracting(d -> d.get("weight")).containsExactly((Object) null);
    }

    @Test
    void aWriterThatResetsTheRouteRightAfterTheWriteFailsVerification() throws Exception {
        create(virtualServices(), checkoutVirtualService());
        AtomicInteger reads = new AtomicInteger();
        observed.beforeRequest((method, path) -> {
            // read, write, then this: the read that verifies the write
            if (method.equals("GET") && reads.incrementAndGet() == 2) {
                // A Git sync that does not know Sluice owns the weights puts the route back as Git has it.
                GenericKubernetesResource reset = virtualService();
                route(reset, "primary").put("route", route(checkoutVirtualService(), "primary").get("route"));
                virtualServices().resource(reset).update();
            }
        });

        assertThatThrownBy(() -> router.setWeight(byHost("primary"), 10))
                .isInstanceOf(TrafficRoutingException.class)
                .hasMessageContaining("was written with canary weight 10 but another writer changed it since")
                .extracting(e -> ((TrafficRoutingException) e).reason()).isEqualTo("WeightNotVerified");
    }

    @Test
    void subsetsAreWrittenAndReadBackBeforeAnyWeightRefersToThem() throws Exception {
        create(virtualServices(), checkoutVirtualService());
        create(destinationRules(), checkoutDestinationRule());
        RoutingTarget target = bySubset("primary");
        List<Object> canarySubsetWhenTheVirtualServiceWasWritten = new ArrayList<>();
        observed.beforeRequest((method, path) -> {
            if (method.equals("PUT") && path.endsWith("/virtualservices/checkout")) {
                canarySubsetWhenTheVirtualServiceWasWritten.add(subset(destinationRule(), "canary"));
            }
        });

        router.setWeight(target, 5);

        assertThat(observed.writes()).extracting(Write::method, w -> w.to(DESTINATION_RULES), Write::code)
                .containsExactly(tuple("PUT", true, 200), tuple("PUT", false, 200));
        assertThat(canarySubsetWhenTheVirtualServiceWasWritten)
                .containsExactly(Map.of("name", "canary", "labels", CANARY_PODS));
        assertThat(destinations(virtualService(), "primary"))
                .extracting(d -> IstioObject.map(d.get("destination")), d -> d.get("weight"))
                .containsExactly(
                        tuple(Map.of("host", "checkout", "port", Map.of("number", 8080), "subset", "stable"), 95),
                        tuple(Map.of("host", "checkout", "port", Map.of("number", 8080), "subset", "canary"), 5));
        assertThat(tree(destinationRule().getAdditionalProperties()))
                .isEqualTo(tree(router.withManagedSubsets(checkoutDestinationRule(), target)
                        .getAdditionalProperties()));

        for (int weight : List.of(50, 100, 0)) {
            router.setWeight(target, weight);
            assertThat(router.currentWeight(target)).isEqualTo(weight);
        }
        assertThat(observed.writes()).as("the subsets were right already: only weights were written")
                .extracting(w -> w.to(VIRTUAL_SERVICES)).containsExactly(false, true, true, true, true);
    }

    @Test
    void aMissingDestinationRuleStopsTheRouterBeforeAnyWeightIsWritten() {
        create(virtualServices(), checkoutVirtualService());

        assertThatThrownBy(() -> router.setWeight(bySubset("primary"), 5))
                .isInstanceOf(TrafficRoutingException.class)
                .hasMessage("DestinationRule checkout does not exist in namespace shop "
                        + "(Istio's networking.istio.io/v1 API)")
                .extracting(e -> ((TrafficRoutingException) e).reason()).isEqualTo("DestinationRuleNotFound");
        assertThat(observed.writes()).isEmpty();
    }

    @Test
    void aMissingVirtualServiceOrRouteIsReportedAndNothingIsWritten() {
        assertThatThrownBy(() -> router.setWeight(byHost("primary"), 5))
                .isInstanceOf(TrafficRoutingException.class)
                .extracting(e -> ((TrafficRoutingException) e).reason()).isEqualTo("VirtualServiceNotFound");
        assertThatThrownBy(() -> router.currentWeight(byHost("primary")))
                .isInstanceOf(TrafficRoutingException.class)
                .extracting(e -> ((TrafficRoutingException) e).reason()).isEqualTo("VirtualServiceNotFound");

        create(virtualServices(), checkoutVirtualService());
        assertThatThrownBy(() -> router.setWeight(byHost("primary", "checkout-v2"), 5))
                .isInstanceOf(TrafficRoutingException.class)
                .hasMessage("VirtualService checkout has no HTTP route named checkout-v2")
                .extracting(e -> ((TrafficRoutingException) e).reason()).isEqualTo("RouteNotFound");
        assertThat(observed.writes()).isEmpty();
    }

    @Test
    void thePureMethodsReportAMissingRouteAsAnIllegalArgument() {
        assertThatThrownBy(() -> router.withManagedRoutes(checkoutVirtualService(), byHost("checkout-v2"), 5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("VirtualService checkout has no HTTP route named checkout-v2");
    }

    private static Object subset(GenericKubernetesResource destinationRule, String name) {
        return IstioObject.maps(IstioObject.spec(destinationRule).get("subsets")).stream()
                .filter(subset -> name.equals(subset.get("name"))).findFirst().orElse(null);
    }

    private static GenericKubernetesResource create(
            NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
                    Resource<GenericKubernetesResource>> kind,
            GenericKubernetesResource object) {
        return kind.resource(object).create();
    }

    private static GenericKubernetesResource virtualService() {
        return virtualServices().withName("checkout").get();
    }

    private static GenericKubernetesResource destinationRule() {
        return destinationRules().withName("checkout").get();
    }

    private static NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> virtualServices() {
        return kube().genericKubernetesResources(IstioObject.API_VERSION, IstioObject.VIRTUAL_SERVICE)
                .inNamespace(NAMESPACE);
    }

    private static NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> destinationRules() {
        return kube().genericKubernetesResources(IstioObject.API_VERSION, IstioObject.DESTINATION_RULE)
                .inNamespace(NAMESPACE);
    }

    /** The other writer's client (Git sync, kubectl): not the router's. */
    private static KubernetesClient kube() {
        return api.client();
    }
}
