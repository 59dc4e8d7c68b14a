package io.sluice.analysis;

import io.sluice.api.v1alpha1.Metric;
import io.sluice.api.v1alpha1.MetricResult;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class MeasurementScheduleTest {
    private static final Instant STARTED = Instant.parse("2025-01-01T10:00:00Z");
    private final MetricAssessment assessment = new MetricAssessment(new ConditionEvaluator());

    @Test
    void theFirstMeasurementWaitsForTheInitialDelay() {
        Metric metric = MetricAssessmentTest.metric(0, 0, 4, 3);
        metric.initialDelay = "1m30s";

        assertThat(MeasurementSchedule.nextMeasurement(metric, STARTED, null)).hasValue(STARTED.plusSeconds(90));
    }

    @Test
    void withoutAnInitialDelayTheFirstIsDueAtOnce() {
        Metric metric = MetricAssessmentTest.metric(0, 0, 4, 3);

        assertThat(MeasurementSchedule.nextMeasurement(metric, STARTED, null)).hasValue(STARTED);
    }

    @Test
    void thenEveryIntervalAfterTheStartOfTheLastMeasurementErrorsIncluded() {
        Metric metric = MetricAssessmentTest.metric(0, 0, 4, 3);
        metric.interval = "10s";
        Instant late = STARTED.plusSeconds(42);

        MetricResult one = assessment.assess(metric, null, Reading.Taken.of(new QueryValue.Single(0.001)), late,
                late.plusSeconds(2));
        MetricResult error = assessment.assess(metric, one, new Reading.Unavailable("timeout"), late.plusSeconds(10),
                late.plusSeconds(20));

        assertThat(MeasurementSchedule.nextMeasurement(metric, STARTED, one)).hasValue(late.plusSeconds(10));
        assertThat(MeasurementSchedule.nextMeasurement(metric, STARTED, error)).hasValue(late.plusSeconds(20));
    }

    @Test
    void theDefaultIntervalIsThirtySeconds() {
        Metric metric = MetricAssessmentTest.metric(0, 0, 4, 3);
        MetricResult one = assessment.assess(metric, null, Reading.Taken.of(new QueryValue.Single(0.001)), STARTED, STARTED);

        assertThat(MeasurementSchedule.nextMeasurement(metric, STARTED, one)).hasValue(STARTED.plusSeconds(30));
    }

    @Test
    void aCompletedMetricHasNoNextMeasurement() {
        Metric metric = MetricAssessmentTest.metric(0, 0, 4, 1);
        MetricResult done = assessment.assess(metric, null, Reading.Taken.of(new QueryValue.Single(0.001)), STARTED, STARTED);

        assertThat(MeasurementSchedule.nextMeasurement(metric, STARTED, done)).isEqualTo(Optional.empty());
    }
}
