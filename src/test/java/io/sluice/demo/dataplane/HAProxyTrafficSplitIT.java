package io.sluice.demo.dataplane;

import static io.sluice.demo.dataplane.HAProxyFixture.CANARY;
import static io.sluice.demo.dataplane.HAProxyFixture.STABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sluice.demo.dataplane.LoadGenerator.LoadStats;
import io.sluice.demo.prometheus.PrometheusFixture;
import io.sluice.demo.prometheus.QueryResult;
import io.sluice.demo.prometheus.ScrapeJob;
import io.sluice.testing.ClassScopedServices;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HAProxyTrafficSplitIT {

    static final TestBackend stable = new TestBackend(STABLE);

    static final TestBackend canary = new TestBackend(CANARY);

    static final HAProxyFixture haproxy = new HAProxyFixture(stable.hostPort(), canary.hostPort());

    static final PrometheusFixture prometheus =
            new PrometheusFixture(List.of(ScrapeJob.of("haproxy", "/metrics", haproxy.metricsTarget())));

    @RegisterExtension
    @Order(1)
    static final ClassScopedServices services = ClassScopedServices.of(stable, canary, haproxy, prometheus);

    private static final int REQUESTS_PER_SECOND = 100;
    private static final Duration LOAD = Duration.ofSeconds(22);
    // Shorter than a load run, and ending after it: the window holds only the current run's traffic.
    private static final String CANARY_SHARE =
            "sum(rate(haproxy_server_http_responses_total{proxy=\"app\",server=\"canary\"}[20s]))"
                    + " / sum(rate(haproxy_server_http_responses_total{proxy=\"app\"}[20s]))";

    @Test
    @Order(1)
    void allTrafficGoesToStableBeforeAnyWeightIsSet() throws Exception {
        assertThat(haproxy.weight(STABLE)).isEqualTo(100);
        assertThat(haproxy.weight(CANARY)).isZero();
        try (HttpClient http = HttpClient.newHttpClient()) {
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> answer = http.send(
                        HttpRequest.newBuilder(haproxy.trafficUrl()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(answer.body()).as("answer %d", i).isEqualTo("stable\n");
            }
        }
    }

    @ParameterizedTest(name = "{0}/{1}")
    @CsvSource({"90, 10", "50, 50"})
    @Order(2)
    void prometheusMeasuresTheCanaryShareThatTheWeightsSet(int stablePercent, int canaryPercent) {
        haproxy.setWeights(stablePercent, canaryPercent);
        assertThat(haproxy.weight(STABLE)).isEqualTo(stablePercent);
        assertThat(haproxy.weight(CANARY)).isEqualTo(canaryPercent);

        LoadStats load;
        try (LoadGenerator generator = new LoadGenerator(
                haproxy.trafficUrl(), REQUESTS_PER_SECOND, LOAD, REQUESTS_PER_SECOND * LOAD.toSeconds()).start()) {
            load = generator.awaitFinished();
        }
        prometheus.awaitScrapedAfter(Instant.now());
        QueryResult share = prometheus.query(CANARY_SHARE);
        System.out.printf("weights %d/%d: canary share in Prometheus %s, load %s%n",
                stablePercent, canaryPercent, share.singleValue(), load);

        assertThat(load.responses(200)).as("%s", load).isEqualTo(load.sent());
        assertThat(share.singleValue())
                .as("canary share at %d/%d: %s\nload: %s\n%s\n%s", stablePercent, canaryPercent, share, load,
                        haproxy.runtimeApi("show servers state app"), haproxy.logTail())
                .hasValueCloseTo(canaryPercent / 100.0, within(0.03));
    }

    @Test
    @Order(3)
    void commandsHAProxyRefusesFailWithItsAnswer() {
        assertThatThrownBy(() -> haproxy.setWeight("nosuch", 10)).hasMessageContaining("No such server");
        assertThatThrownBy(() -> haproxy.setWeight(CANARY, 300)).hasMessageContaining("between 0 and 256");
        assertThatThrownBy(() -> haproxy.setWeights(90, 20)).isInstanceOf(IllegalArgumentException.class);
    }
}
