package io.sluice.analysis;

import io.sluice.api.v1alpha1.Defaults;
import io.sluice.api.v1alpha1.Measurement;
import io.sluice.api.v1alpha1.Metric;
import io.sluice.api.v1alpha1.MetricResult;
import io.sluice.core.Durations;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * When a metric is measured: first {@code initialDelay} after the run started, then every
 * {@code interval} after the start of the previous measurement (errors included, so an unreachable
 * provider is retried at the same pace), until the metric completes. Computed from the status alone,
 * so a restarted operator keeps the cadence; a late measurement moves the next one later rather
 * than bunching measurements up to catch up.
 */
public final class MeasurementSchedule {
    private MeasurementSchedule() {
    }

    /**
     * When the next measurement of {@code metric} is due (possibly already past); empty once the
     * metric has completed, which its result's phase says (count reached or a limit exceeded).
     *
     * @param result the metric's result so far, null before the first measurement
     */
    public static Optional<Instant> nextMeasurement(Metric metric, Instant runStartedAt, MetricResult result) {
        if (result != null && result.phase != null && result.phase.isCompleted()) {
            return Optional.empty();
        }
        List<Measurement> taken = result == null || result.measurements == null ? List.of() : result.measurements;
        if (taken.isEmpty()) {
            return Optional.of(runStartedAt.plus(Durations.parse(
                    metric.initialDelay == null ? Defaults.METRIC_INITIAL_DELAY : metric.initialDelay)));
        }
        Instant lastStarted = Instant.parse(taken.getLast().startedAt);
        return Optional.of(lastStarted.plus(Durations.parse(
                metric.interval == null ? Defaults.METRIC_INTERVAL : metric.interval)));
    }
}
