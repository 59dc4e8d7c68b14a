package io.sluice.demo.dataplane;

import static io.sluice.demo.dataplane.HAProxyFixture.CANARY;
import static io.sluice.demo.dataplane.HAProxyFixture.STABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sluice.demo.dataplane.LoadGenerator.LoadStats;
import io.sluice.demo.prometheus.PrometheusFixture;
import io.sluice.demo.prometheus.QueryResult;
import io.sluice.demo.prometheus.ScrapeJob;
import io.sluice.testing.ClassScopedServices;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What an SLO check would read from Prometheus when the canary misbehaves behind HAProxy. */
class CanarySignalsIT {

    static final TestBackend stable = new TestBackend(STABLE);

    static final TestBackend canary = new TestBackend(CANARY);

    static final HAProxyFixture haproxy = new HAProxyFixture(stable.hostPort(), canary.hostPort());

    static final PrometheusFixture prometheus = new PrometheusFixture(List.of(
            ScrapeJob.of("haproxy", "/metrics", haproxy.metricsTarget()),
            ScrapeJob.of("backends", "/metrics", stable.hostPort(), canary.hostPort())));

    @RegisterExtension
    @Order(1)
    static final ClassScopedServices services = ClassScopedServices.of(stable, canary, haproxy, prometheus);

    private static final int REQUESTS_PER_SECOND = 100;
    // A little longer than the 10 s query windows, so they hold only the current test's traffic.
    private static final Duration LOAD = Duration.ofSeconds(12);

    @BeforeEach
    void evenSplitBetweenHealthyVersions() {
        haproxy.setWeights(50, 50);
        for (TestBackend backend : List.of(stable, canary)) {
            backend.setErrorRate(0);
            backend.setLatency(Duration.ZERO);
        }
    }

    @Test
    void canaryErrorsShowAsItsFiveXxRatio() {
        canary.setErrorRate(0.2);

        LoadStats load = runLoad();
        double canaryRatioAtProxy = value("sum(rate(haproxy_server_http_responses_total{proxy=\"app\",server=\"canary\",code=\"5xx\"}[10s]))"
                + " / sum(rate(haproxy_server_http_responses_total{proxy=\"app\",server=\"canary\"}[10s]))", load);
        double stableRatioAtProxy = value("sum(rate(haproxy_server_http_responses_total{proxy=\"app\",server=\"stable\",code=\"5xx\"}[10s]))"
                + " / sum(rate(haproxy_server_http_responses_total{proxy=\"app\",server=\"stable\"}[10s]))", load);
        double canaryRatioAtBackend = value("sum(rate(sluice_test_requests_total{backend=\"canary\",code=~\"5..\"}[10s]))"
                + " / sum(rate(sluice_test_requests_total{backend=\"canary\"}[10s]))", load);
        System.out.printf("canary 5xx ratio: %.4f at HAProxy, %.4f at the backend; stable %.4f; load %s%n",
                canaryRatioAtProxy, canaryRatioAtBackend, stableRatioAtProxy, load);

        assertThat(canaryRatioAtProxy).isCloseTo(0.2, within(0.05));
        assertThat(canaryRatioAtBackend).isCloseTo(0.2, within(0.05));
        assertThat(stableRatioAtProxy).isZero();
        // half the traffic reaches the canary, a fifth of that fails
        assertThat((double) load.responses(500) / load.sent()).as("%s", load).isCloseTo(0.1, within(0.02));
    }

    @Test
    void canaryLatencyShowsInTheDurationHistogram() {
        canary.setLatency(Duration.ofMillis(100));

        LoadStats load = runLoad();
        double canaryP95 = value("histogram_quantile(0.95, sum by (le) "
                + "(rate(sluice_test_request_duration_seconds_bucket{backend=\"canary\"}[10s])))", load);
        double stableP95 = value("histogram_quantile(0.95, sum by (le) "
                + "(rate(sluice_test_request_duration_seconds_bucket{backend=\"stable\"}[10s])))", load);
        System.out.printf("p95 latency: canary %.4f s, stable %.4f s; load %s%n", canaryP95, stableP95, load);

        // 100 ms answers fall into the (0.1, 0.25] bucket
        assertThat(canaryP95).isGreaterThan(0.1).isLessThanOrEqualTo(0.25);
        assertThat(stableP95).isLessThan(0.05);
    }

    private static LoadStats runLoad() {
        LoadStats load;
        try (LoadGenerator generator = new LoadGenerator(
                haproxy.trafficUrl(), REQUESTS_PER_SECOND, LOAD, REQUESTS_PER_SECOND * LOAD.toSeconds()).start()) {
            load = generator.awaitFinished();
        }
        assertThat(load.transportErrors()).as("%s", load).isZero();
        prometheus.awaitScrapedAfter(Instant.now());
        return load;
    }

    /** The query's single value; "no data" (nothing, or NaN) fails with diagnostics. */
    private static double value(String promql, LoadStats load) {
        QueryResult result = prometheus.query(promql);
        String diagnostics = "%s\n-> %s\nload: %s\n%s".formatted(promql, result, load, haproxy.logTail());
        assertThat(result.singleValue()).as(diagnostics).isPresent();
        assertThat(result.singleValue().getAsDouble()).as(diagnostics).isNotNaN();
        return result.singleValue().getAsDouble();
    }
}
