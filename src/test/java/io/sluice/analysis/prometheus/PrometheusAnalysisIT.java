package io.sluice.analysis.prometheus;

import io.sluice.analysis.ArgResolver;
import io.sluice.analysis.ConditionEvaluator;
import io.sluice.analysis.MeasurementException;
import io.sluice.analysis.MeasurementSchedule;
import io.sluice.analysis.MetricAssessment;
import io.sluice.analysis.QueryValue;
import io.sluice.analysis.Reading;
import io.sluice.api.v1alpha1.AnalysisArg;
import io.sluice.api.v1alpha1.AnalysisPhase;
import io.sluice.api.v1alpha1.Measurement;
import io.sluice.api.v1alpha1.Metric;
import io.sluice.api.v1alpha1.MetricProvider;
import io.sluice.api.v1alpha1.MetricResult;
import io.sluice.api.v1alpha1.PrometheusMetric;
import io.sluice.demo.dataplane.LoadGenerator;
import io.sluice.demo.dataplane.TestBackend;
import io.sluice.demo.prometheus.PrometheusFixture;
import io.sluice.demo.prometheus.QueryResult;
import io.sluice.demo.prometheus.ScrapeJob;
import io.sluice.testing.ClassScopedServices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Analyses as the operator will run them, against a real Prometheus scraping real backends: the
 * measurements come from {@link PrometheusProvider}, are judged by {@link MetricAssessment} and
 * paced by {@link MeasurementSchedule}, with one-second intervals to keep the test short.
 */
class PrometheusAnalysisIT {

    static final TestBackend healthy = new TestBackend("healthy");

    static final TestBackend failing = new TestBackend("failing");

    /** A canary that served one request long ago and nothing since: its error ratio is 0/0. */
    static final TestBackend idle = new TestBackend("idle");

    static final PrometheusFixture prometheus = new PrometheusFixture(List.of(
            ScrapeJob.of("backends", "/metrics", healthy.hostPort(), failing.hostPort(), idle.hostPort())));

    @RegisterExtension
    @Order(1)
    static final ClassScopedServices services = ClassScopedServices.of(healthy, failing, idle, prometheus);

    /**
     * The 5xx ratio of one backend. Without any 5xx yet, Prometheus has no 5xx series and a plain
     * ratio would be empty (no data for a perfectly healthy canary), so the numerator falls back to
     * 0, but only when the denominator exists: no traffic stays empty or NaN, never 0.
     */
    private static final String ERROR_RATE = """
            (sum(rate(sluice_test_requests_total{backend="{{args.backend}}",code=~"5.."}[10s])) or on() vector(0))
            /
            sum(rate(sluice_test_requests_total{backend="{{args.backend}}"}[10s]))""";
    private static final int REQUESTS_PER_SECOND = 50;
    private static final Duration MAX_LOAD = Duration.ofSeconds(90);

    private static LoadGenerator healthyLoad;
    private static LoadGenerator failingLoad;
    private static PrometheusProvider provider;

    private final ArgResolver args = new ArgResolver((namespace, name, key) -> Optional.empty());
    private final MetricAssessment assessment = new MetricAssessment(new ConditionEvaluator());

    @BeforeAll
    static void steadyTraffic() {
        healthy.setErrorRate(0.001);
        failing.setErrorRate(0.2);
        try (LoadGenerator once = new LoadGenerator(idle.url(), 1, Duration.ofSeconds(5), 1).start()) {
            once.awaitFinished();
        }
        long maxRequests = REQUESTS_PER_SECOND * MAX_LOAD.toSeconds();
        healthyLoad = new LoadGenerator(healthy.url(), REQUESTS_PER_SECOND, MAX_LOAD, maxRequests).start();
        failingLoad = new LoadGenerator(failing.url(), REQUESTS_PER_SECOND, MAX_LOAD, maxRequests).start();
        provider = new PrometheusProvider(Map.of("default", PrometheusProviderTest.endpoint(prometheus.baseUrl())),
                (namespace, name, key) -> Optional.empty(), "sluice-system");

        // rate() needs two samples in its window; the idle backend's counter must be flat by then
        await("traffic and its absence visible in Prometheus").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> prometheus.query("sum(rate(sluice_test_requests_total{backend=\"failing\"}[10s])) > 0"
                        + " and sum(rate(sluice_test_requests_total{backend=\"healthy\"}[10s])) > 0"
                        + " and sum(rate(sluice_test_requests_total{backend=\"idle\"}[10s])) == 0").samples().size() == 1);
    }

    @AfterAll
    static void stopTraffic() {
        for (AutoCloseable running : new AutoCloseable[]{healthyLoad, failingLoad, provider}) {
            try {
                if (running != null) {
                    running.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void aCanaryFailingOneRequestInFiveFailsAfterFailureLimitPlusOneMeasurements() {
        Metric errorRate = errorRate();
        errorRate.failureLimit = 2;

        MetricResult result = analyse(errorRate, "failing", provider);

        assertThat(result.phase).as("%s", result.measurements).isEqualTo(AnalysisPhase.Failed);
        assertThat(result.count).isEqualTo(3);
        assertThat(result.failed).isEqualTo(3);
        assertThat(result.measurements).extracting(m -> Double.parseDouble(m.value))
                .allSatisfy(value -> assertThat(value).isBetween(0.15, 0.25));
        assertThat(MetricAssessment.describe(errorRate, result))
                .matches("error-rate = 0\\.[12]\\d* breached `result < 0.01` \\(3 failed, limit 2\\)");
    }

    @Test
    void aHealthyCanaryPasses() {
        Metric errorRate = errorRate();
        errorRate.count = 3;

        MetricResult result = analyse(errorRate, "healthy", provider);

        assertThat(result.phase).as("%s", result.measurements).isEqualTo(AnalysisPhase.Successful);
        assertThat(result.successful).isEqualTo(3);
        assertThat(result.measurements).extracting(m -> Double.parseDouble(m.value))
                .allSatisfy(value -> assertThat(value).isLessThan(0.01));
    }

    @Test
    void aCanaryWithoutTrafficIsInconclusiveNeverAPass() {
        Metric errorRate = errorRate();
        errorRate.count = 1;

        MetricResult idleCanary = analyse(errorRate, "idle", provider);
        MetricResult absentCanary = analyse(errorRate, "never-deployed", provider);

        assertThat(idleCanary.phase).isEqualTo(AnalysisPhase.Inconclusive);
        assertThat(idleCanary.measurements.getLast().message).isEqualTo("no data (NaN), counted as Inconclusive");
        assertThat(absentCanary.phase).isEqualTo(AnalysisPhase.Inconclusive);
        assertThat(absentCanary.measurements.getLast().message).isEqualTo("no data (empty result), counted as Inconclusive");
    }

    @Test
    void anUnreachablePrometheusIsAnErrorAfterConsecutiveErrorLimitPlusOne() throws IOException {
        Metric errorRate = errorRate();
        errorRate.consecutiveErrorLimit = 2;
        String stoppedPrometheus;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            stoppedPrometheus = "http://127.0.0.1:" + socket.getLocalPort();
        }

        MetricResult result;
        try (PrometheusProvider unreachable = new PrometheusProvider(Map.of("default", PrometheusProviderTest.endpoint(stoppedPrometheus)),
                (namespace, name, key) -> Optional.empty(), "sluice-system")) {
            result = analyse(errorRate, "failing", unreachable);
        }

        assertThat(result.phase).isEqualTo(AnalysisPhase.Error);
        assertThat(result.error).isEqualTo(3);
        assertThat(result.count).as("errors are not measurements").isZero();
        assertThat(result.measurements).extracting(m -> m.message)
                .allSatisfy(message -> assertThat(message)
                        .isEqualTo("cannot connect to Prometheus 'default' at " + stoppedPrometheus + ": connection refused"));
        System.out.println(MetricAssessment.describe(errorRate, result));
    }

    @Test
    void aHostileArgMatchesNoSeriesInsteadOfChangingTheQuery() throws MeasurementException {
        String hostile = "nobody\"} or vector(1) or up{job=\"";
        String template = "sum(sluice_test_requests_total{backend=\"{{args.backend}}\"})";
        String rendered = ArgResolver.render(template, args.resolve("shop", List.of(arg("backend", hostile))));

        QueryValue escaped = provider.query("default", rendered);
        QueryResult unescaped = prometheus.query(template.replace("{{args.backend}}", hostile));

        assertThat(escaped).as(rendered).isEqualTo(new QueryValue.NoData("empty result"));
        assertThat(unescaped.singleValue()).as("the same value pasted in unescaped would have injected vector(1)")
                .isPresent();
    }

    @Test
    void prometheusReceivesHostileValuesIntactAsStrings() throws MeasurementException {
        for (String value : List.of("\"} or vector(1) or {x=\"", "back\\slash \\\" \\n", "line\nbreak\ttab\rcr",
                "'single' `raw` {{args.v}} {braces}", "ünïcödé ✓ \u0001\u007f")) {
            String rendered = ArgResolver.render("label_replace(vector(1), \"echo\", \"{{args.v}}\", \"\", \"\")",
                    args.resolve("shop", List.of(arg("v", value))));

            QueryResult echoed = prometheus.query(rendered);

            assertThat(echoed.samples()).as(rendered).singleElement()
                    .satisfies(sample -> assertThat(sample.labels()).containsEntry("echo", value));
        }
    }

    @Test
    void everyAnswerShapeOfARealPrometheus() throws MeasurementException {
        assertThat(provider.query("default", "scalar(vector(0.5))")).isEqualTo(new QueryValue.Single(0.5));
        assertThat(provider.query("default", "vector(2)")).isEqualTo(new QueryValue.Single(2));
        assertThat(provider.query("default", "sum by (backend) (sluice_test_requests_total)"))
                .isInstanceOfSatisfying(QueryValue.Series.class, series -> assertThat(series.seriesCount()).isEqualTo(3));
        assertThat(provider.query("default", "sluice_test_requests_total{backend=\"nobody\"}"))
                .isEqualTo(new QueryValue.NoData("empty result"));
        assertThat(provider.query("default", "vector(0) / 0")).isEqualTo(new QueryValue.NoData("NaN"));
        assertThat(provider.query("default", "1 / 0")).isEqualTo(new QueryValue.Single(Double.POSITIVE_INFINITY));
        assertThat(provider.query("default", "vector(-1) / 0")).isEqualTo(new QueryValue.Single(Double.NEGATIVE_INFINITY));
        assertThatThrownBy(() -> provider.query("default", "up[5s]")).hasMessageContaining("returned a range vector (matrix)");
        assertThatThrownBy(() -> provider.query("default", "\"text\"")).hasMessageContaining("returned a string");
        assertThatThrownBy(() -> provider.query("default", "sum(up"))
                .hasMessageStartingWith("Prometheus 'default' refused the query (HTTP 400, bad_data): ");
    }

    /** Measures the metric on its schedule until it completes, as the AnalysisRun controller will. */
    private MetricResult analyse(Metric metric, String backend, PrometheusProvider source) {
        Instant started = Instant.now();
        MetricResult result = null;
        for (int measurement = 0; measurement < 20; measurement++) {
            Instant due = MeasurementSchedule.nextMeasurement(metric, started, result).orElseThrow();
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> !Instant.now().isBefore(due));
            Instant measuredAt = Instant.now();
            Reading reading;
            try {
                reading = source.measure(metric, args.resolve("shop", List.of(arg("backend", backend))));
            } catch (MeasurementException e) {
                reading = new Reading.Unavailable(e.getMessage());
            }
            result = assessment.assess(metric, result, reading, measuredAt, Instant.now());
            if (result.phase.isCompleted()) {
                System.out.printf("%s on %s: %s after %d ms; values %s%n", metric.name, backend, result.phase,
                        Duration.between(started, Instant.now()).toMillis(),
                        result.measurements.stream().map(this::valueOrMessage).collect(Collectors.joining(", ")));
                return result;
            }
        }
        throw new AssertionError("the analysis did not complete in 20 measurements: " + result.measurements);
    }

    private String valueOrMessage(Measurement measurement) {
        return measurement.value != null ? measurement.value : measurement.phase.name();
    }

    private static Metric errorRate() {
        Metric metric = new Metric();
        metric.name = "error-rate";
        metric.interval = "1s";
        metric.successCondition = "result < 0.01";
        metric.provider = new MetricProvider();
        metric.provider.prometheus = new PrometheusMetric();
        metric.provider.prometheus.query = ERROR_RATE;
        return metric;
    }

    private static AnalysisArg arg(String name, String value) {
        AnalysisArg arg = new AnalysisArg();
        arg.name = name;
        arg.value = value;
        return arg;
    }
}
