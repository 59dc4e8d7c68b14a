package io.sluice.demo.dataplane;

import static io.sluice.demo.dataplane.HAProxyFixture.CANARY;
import static io.sluice.demo.dataplane.HAProxyFixture.STABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.sluice.demo.dataplane.LoadGenerator.LoadStats;
import io.sluice.demo.dataplane.VirtualServiceBridge.Split;
import io.sluice.demo.dataplane.VirtualServiceBridge.Versions;
import io.sluice.testing.kube.MockKubeApi;
import io.sluice.demo.prometheus.PrometheusFixture;
import io.sluice.demo.prometheus.QueryResult;
import io.sluice.demo.prometheus.ScrapeJob;
import io.sluice.traffic.RoutingTarget;
import io.sluice.traffic.istio.IstioFixtures;
import io.sluice.traffic.istio.IstioTrafficRouter;
import io.sluice.testing.ClassScopedServices;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * End to end without a cluster: Sluice's Istio router writes weights into a VirtualService in the
 * mock API, the bridge applies them to a real HAProxy in front of two test backends, and
 * Prometheus measures the share of responses that came from the canary.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VirtualServiceBridgeIT {

    @RegisterExtension
    @Order(1)
    static final MockKubeApi api = MockKubeApi.start();

    static final TestBackend stable = new TestBackend(STABLE);

    static final TestBackend canary = new TestBackend(CANARY);

    static final HAProxyFixture haproxy = new HAProxyFixture(stable.hostPort(), canary.hostPort());

    static final PrometheusFixture prometheus =
            new PrometheusFixture(List.of(ScrapeJob.of("haproxy", "/metrics", haproxy.metricsTarget())));

    @RegisterExtension
    @Order(2)
    static final ClassScopedServices services = ClassScopedServices.of(stable, canary, haproxy, prometheus);

    private static final int REQUESTS_PER_SECOND = 100;
    private static final Duration BRIDGE_DELAY = Duration.ofSeconds(10);
    private static final RoutingTarget TARGET = IstioFixtures.byHost("primary");

    private static IstioTrafficRouter router;
    private static VirtualServiceBridge bridge;

    @BeforeAll
    static void virtualServiceFromGitAndTheBridge() {
        GenericKubernetesResource fromGit = IstioFixtures.checkoutVirtualService();
        api.client().genericKubernetesResources("networking.istio.io/v1", "VirtualService")
                .inNamespace(IstioFixtures.NAMESPACE).resource(fromGit).create();
        router = new IstioTrafficRouter(api.client());
        bridge = new VirtualServiceBridge(api.client(), IstioFixtures.NAMESPACE, "checkout", "primary",
                Versions.byHost(TARGET.stableHost(), TARGET.canaryHost()), haproxy).start();
    }

    @AfterAll
    static void stopTheBridge() {
        bridge.close();
    }

    @Test
    @Order(1)
    void theRouteAsGitWroteItIsNotAppliedAndStableKeepsAllTraffic() {
        await("the bridge has seen the VirtualService").atMost(BRIDGE_DELAY).until(() -> !bridge.problems().isEmpty());
        assertThat(bridge.applied()).isEmpty();
        assertThat(haproxy.weight(STABLE)).isEqualTo(100);
        assertThat(haproxy.weight(CANARY)).isZero();
    }

    /**
     * Each load run is longer than the query's window, which ends after the run: the window holds
     * only this step's traffic. Weight 0 needs no long window to read exactly 0.
     */
    @ParameterizedTest(name = "canary weight {0}")
    @CsvSource({"10, 22", "50, 22", "0, 8"})
    @Order(2)
    void prometheusMeasuresTheCanaryShareTheRouterWrote(int canaryWeight, int loadSeconds) throws Exception {
        router.setWeight(TARGET, canaryWeight);
        bridge.awaitCanaryPercent(canaryWeight, BRIDGE_DELAY);
        assertThat(haproxy.weight(CANARY)).isEqualTo(canaryWeight);

        LoadStats load;
        try (LoadGenerator generator = new LoadGenerator(haproxy.trafficUrl(), REQUESTS_PER_SECOND,
                Duration.ofSeconds(loadSeconds), REQUESTS_PER_SECOND * (long) loadSeconds).start()) {
            load = generator.awaitFinished();
        }
        prometheus.awaitScrapedAfter(Instant.now());
        QueryResult share = prometheus.query(canaryShare(loadSeconds - 2));
        System.out.printf("canary weight %d: canary share in Prometheus %s, load %s%n",
                canaryWeight, share.singleValue(), load);

        assertThat(load.responses(200)).as("%s", load).isEqualTo(load.sent());
        assertThat(share.singleValue())
                .as("canary share at weight %d: %s\nload: %s\nbridge applied %s, problems %s\n%s",
                        canaryWeight, share, load, bridge.applied(), bridge.problems(),
                        haproxy.runtimeApi("show servers state app"))
                .hasValueCloseTo(canaryWeight / 100.0, within(0.03));
    }

    @Test
    @Order(3)
    void theBridgeAppliedEveryWeightOnceAndNothingElse() {
        assertThat(bridge.applied()).containsExactly(new Split(90, 10), new Split(50, 50), new Split(100, 0));
        assertThat(bridge.problems()).singleElement().asString().contains("neither stable nor canary");
    }

    private static String canaryShare(int windowSeconds) {
        String window = "[" + windowSeconds + "s]";
        return "sum(rate(haproxy_server_http_responses_total{proxy=\"app\",server=\"canary\"}" + window + "))"
                + " / sum(rate(haproxy_server_http_responses_total{proxy=\"app\"}" + window + "))";
    }
}
