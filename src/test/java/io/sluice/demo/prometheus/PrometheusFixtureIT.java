package io.sluice.demo.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.demo.dataplane.LoadGenerator;
import io.sluice.demo.dataplane.LoadGenerator.LoadStats;
import io.sluice.demo.dataplane.TestBackend;
import io.sluice.testing.ClassScopedServices;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PrometheusFixtureIT {

    static final TestBackend backend = new TestBackend("stable");

    static final PrometheusFixture prometheus =
            new PrometheusFixture(List.of(ScrapeJob.of("backends", "/metrics", backend.hostPort())));

    @RegisterExtension
    @Order(1)
    static final ClassScopedServices services = ClassScopedServices.of(backend, prometheus);

    @Test
    void everyTargetHasBeenScrapedWhenStartReturns() {
        QueryResult up = prometheus.query("up{job=\"backends\"}");

        assertThat(up.resultType()).isEqualTo("vector");
        assertThat(up.samples()).as("%s", up).singleElement().satisfies(sample -> {
            assertThat(sample.labels()).containsEntry("instance", backend.hostPort());
            assertThat(sample.value()).isEqualTo(1);
        });
    }

    // The only test that sends traffic to the backend, so its counter starts from zero.
    @Test
    void theCounterInPrometheusMatchesTheRequestsSent() {
        LoadStats load;
        try (LoadGenerator generator = new LoadGenerator(backend.url(), 100, Duration.ofSeconds(10), 37).start()) {
            load = generator.awaitFinished();
        }
        prometheus.awaitScrapedAfter(Instant.now());

        QueryResult requests = prometheus.query("sum(sluice_test_requests_total{backend=\"stable\"})");

        assertThat(load.responses(200)).isEqualTo(37);
        assertThat(requests.singleValue()).as("%s\n%s", requests, prometheus.logTail()).hasValue(37);
    }

    @Test
    void specialValuesAndRejectedQueriesAreReported() {
        assertThat(prometheus.query("1/0").singleValue()).hasValue(Double.POSITIVE_INFINITY);
        assertThat(prometheus.query("-1/0").singleValue()).hasValue(Double.NEGATIVE_INFINITY);
        assertThat(prometheus.query("vector(0) / 0").samples()).singleElement()
                .satisfies(sample -> assertThat(sample.value()).isNaN());
        assertThatThrownBy(() -> prometheus.query("sum(up"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bad_data")
                .hasMessageContaining("(query: sum(up)");
    }
}
