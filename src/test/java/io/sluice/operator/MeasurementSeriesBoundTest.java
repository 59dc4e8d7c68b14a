package io.sluice.operator;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.api.v1alpha1.RolloutStatus;
import org.junit.jupiter.api.Test;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Metric names are chosen by tenants (in their AnalysisTemplates), so the measurement gauge's
 * {@code metric} label is bounded per Rollout: a template edited a hundred times with new names
 * must not leave a hundred series behind while the Rollout lives.
 */
class MeasurementSeriesBoundTest {

    @Test
    void aRolloutKeepsOnlyItsMostRecentlyMeasuredMetricSeries() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RolloutMetrics metrics = new RolloutMetrics(registry);
        Rollout rollout = new Rollout();
        rollout.setMetadata(new ObjectMetaBuilder().withNamespace("shop").withName("checkout").build());
        rollout.setStatus(new RolloutStatus());
        rollout.getStatus().phase = RolloutPhase.Progressing;
        metrics.watch(() -> Stream.of(rollout));

        for (int i = 0; i < 100; i++) {
            metrics.measured("shop", "checkout", "metric-" + i, i);
        }
        metrics.measured("shop", "checkout", "metric-0", 0.5); // measured again: among the most recent
        metrics.refresh();

        var series = registry.find("sluice.analysis.measurement.value").tag("rollout", "checkout").gauges();
        assertThat(series).hasSize(RolloutMetrics.MAX_MEASURED_METRICS_PER_ROLLOUT);
        assertThat(series.stream().map(g -> g.getId().getTag("metric")))
                .contains("metric-0", "metric-99").doesNotContain("metric-1", "metric-50");
    }
}
