package io.sluice.analysis;

import io.sluice.api.v1alpha1.AnalysisPhase;
import io.sluice.api.v1alpha1.Defaults;
import io.sluice.api.v1alpha1.Measurement;
import io.sluice.api.v1alpha1.Metric;
import io.sluice.api.v1alpha1.MetricResult;
import io.sluice.api.v1alpha1.NoDataPolicy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.OptionalDouble;

/**
 * The verdict of one metric, as a pure function of (spec, result so far, new reading, time): judges
 * the reading, tallies it, keeps the last {@value #MEASUREMENTS_KEPT} measurements, and decides the
 * metric's phase.
 *
 * <p>A reading is judged in this order: could not be taken → Error; no data (empty, NaN, traffic
 * below {@code noData.minTraffic}, fewer series than {@code noData.minSamples}) → the no-data
 * outcome, Inconclusive unless the metric says Failed or Successful; otherwise the conditions
 * ({@link ConditionEvaluator}). Errors are not measurements: they do not count towards
 * {@code count}, only towards the error tallies.
 *
 * <p>The metric's phase, checked in this order: failed &gt; failureLimit → Failed; inconclusive &gt;
 * inconclusiveLimit → Inconclusive; consecutive errors &gt; consecutiveErrorLimit → Error; count
 * reached → Successful, or Inconclusive if not one of the measurements was successful (limits that
 * tolerate every measurement must not turn "nothing good seen" into a pass); otherwise Running. A
 * metric without a count runs until its analysis is terminated. dryRun metrics are assessed the
 * same way; {@link AnalysisVerdict} leaves them out of the run's verdict.
 */
public final class MetricAssessment {
    /** Measurements kept per metric in the AnalysisRun's status, newest last. */
    public static final int MEASUREMENTS_KEPT = 10;
    private static final String NO_DATA = "no data";

    private final ConditionEvaluator conditions;

    public MetricAssessment(ConditionEvaluator conditions) {
        this.conditions = conditions;
    }

    /**
     * The metric's result after one more reading; {@code previous} is not modified.
     *
     * @param previous the result so far, null before the first measurement
     * @throws IllegalStateException when the metric has already completed
     */
    public MetricResult assess(Metric metric, MetricResult previous, Reading reading, Instant startedAt,
            Instant finishedAt) {
        if (previous != null && previous.phase != null && previous.phase.isCompleted()) {
            throw new IllegalStateException("metric " + metric.name + " is already " + previous.phase);
        }
        MetricResult next = tallies(metric, previous);
        Measurement measurement = judge(metric, reading);
        measurement.startedAt = startedAt.toString();
        measurement.finishedAt = finishedAt.toString();

        switch (measurement.phase) {
            case Successful -> next.successful++;
            case Failed -> next.failed++;
            case Inconclusive -> next.inconclusive++;
            case Error -> next.error++;
            default -> throw new IllegalStateException("a measurement is never " + measurement.phase);
        }
        if (measurement.phase == AnalysisPhase.Error) {
            next.consecutiveError++;
        } else {
            next.count++;
            next.consecutiveError = 0;
        }
        next.measurements.add(measurement);
        if (next.measurements.size() > MEASUREMENTS_KEPT) {
            next.measurements = new ArrayList<>(next.measurements.subList(
                    next.measurements.size() - MEASUREMENTS_KEPT, next.measurements.size()));
        }
        next.phase = phase(metric, next);
        return next;
    }

    /**
     * The metric's state in one sentence naming it, its last value and the condition, e.g.
     * {@code error-rate = 0.2103 breached `result < 0.01` (3 failed, limit 2)}.
     */
    public static String describe(Metric metric, MetricResult result) {
        if (result == null || result.measurements == null || result.measurements.isEmpty()) {
            return metric.name + ": no measurement yet";
        }
        Measurement last = result.measurements.getLast();
        String message = last.message == null ? "" : last.message;
        boolean judgedOnValue = last.phase != AnalysisPhase.Error && !message.startsWith(NO_DATA);
        return metric.name + (judgedOnValue ? " = " : ": ") + message + " (" + tally(metric, result) + ")";
    }

    /** One reading judged on its own, without time stamps. */
    Measurement judge(Metric metric, Reading reading) {
        Measurement measurement = new Measurement();
        switch (reading) {
            case Reading.Unavailable unavailable -> {
                measurement.phase = AnalysisPhase.Error;
                measurement.message = unavailable.reason();
            }
            case Reading.Taken taken -> {
                measurement.value = taken.value().text();
                String noData = noDataReason(metric.noData, taken.value(), taken.traffic());
                if (noData != null) {
                    measurement.phase = noDataOutcome(metric.noData);
                    measurement.message = NO_DATA + " (" + noData + "), counted as " + measurement.phase;
                } else {
                    ConditionEvaluator.Verdict verdict =
                            conditions.evaluate(metric.successCondition, metric.failureCondition, taken.value());
                    measurement.phase = verdict.phase();
                    measurement.message = verdict.phase() == AnalysisPhase.Error
                            ? verdict.message()
                            : taken.value().shortText() + " " + verdict.message();
                }
            }
        }
        return measurement;
    }

    private static String noDataReason(NoDataPolicy policy, QueryValue value, OptionalDouble traffic) {
        if (value instanceof QueryValue.NoData noData) {
            return noData.reason();
        }
        if (policy != null && policy.trafficQuery != null) {
            if (traffic.isEmpty() || Double.isNaN(traffic.getAsDouble())) {
                return "trafficQuery returned no data";
            }
            double minTraffic = policy.minTraffic == null ? 0 : policy.minTraffic;
            if (traffic.getAsDouble() < minTraffic) {
                return "traffic " + QueryValue.rounded(traffic.getAsDouble()) + " below minTraffic "
                        + QueryValue.rounded(minTraffic);
            }
        }
        int minSamples = policy == null || policy.minSamples == null ? Defaults.NO_DATA_MIN_SAMPLES : policy.minSamples;
        if (value.seriesCount() < minSamples) {
            return value.seriesCount() + " series, fewer than minSamples " + minSamples;
        }
        return null;
    }

    /** Inconclusive unless the metric chose Failed or Successful: never a silent pass. */
    private static AnalysisPhase noDataOutcome(NoDataPolicy policy) {
        String outcome = policy == null || policy.outcome == null ? Defaults.NO_DATA_OUTCOME : policy.outcome;
        return switch (outcome) {
            case "Failed" -> AnalysisPhase.Failed;
            case "Successful" -> AnalysisPhase.Successful;
            default -> AnalysisPhase.Inconclusive;
        };
    }

    private static AnalysisPhase phase(Metric metric, MetricResult result) {
        if (result.failed > failureLimit(metric)) {
            return AnalysisPhase.Failed;
        }
        if (result.inconclusive > inconclusiveLimit(metric)) {
            return AnalysisPhase.Inconclusive;
        }
        if (result.consecutiveError > consecutiveErrorLimit(metric)) {
            return AnalysisPhase.Error;
        }
        if (metric.count != null && result.count >= metric.count) {
            return result.successful > 0 ? AnalysisPhase.Successful : AnalysisPhase.Inconclusive;
        }
        return AnalysisPhase.Running;
    }

    private static String tally(Metric metric, MetricResult result) {
        return switch (result.phase == null ? AnalysisPhase.Running : result.phase) {
            case Failed -> result.failed + " failed, limit " + failureLimit(metric);
            case Inconclusive -> result.inconclusive > inconclusiveLimit(metric)
                    ? result.inconclusive + " inconclusive, limit " + inconclusiveLimit(metric)
                    : "none of " + result.count + " measurements successful";
            case Error -> errorsInARow(metric, result);
            case Successful -> result.successful + " of " + result.count + " successful";
            case Pending, Running -> progress(metric, result);
        };
    }

    /** How far a running metric is, with whatever counts against it so far. */
    private static String progress(Metric metric, MetricResult result) {
        StringBuilder progress = new StringBuilder()
                .append(result.count).append(metric.count == null ? "" : " of " + metric.count).append(" measured");
        if (result.failed > 0) {
            progress.append(", ").append(result.failed).append(" failed, limit ").append(failureLimit(metric));
        }
        if (result.inconclusive > 0) {
            progress.append(", ").append(result.inconclusive).append(" inconclusive, limit ").append(inconclusiveLimit(metric));
        }
        if (result.consecutiveError > 0) {
            progress.append(", ").append(errorsInARow(metric, result));
        }
        return progress.toString();
    }

    private static String errorsInARow(Metric metric, MetricResult result) {
        return result.consecutiveError + (result.consecutiveError == 1 ? " error" : " errors") + " in a row, limit "
                + consecutiveErrorLimit(metric);
    }

    /** A copy of the tallies (zero before the first measurement), never the caller's object. */
    private static MetricResult tallies(Metric metric, MetricResult previous) {
        MetricResult next = new MetricResult();
        next.name = metric.name;
        next.dryRun = Boolean.TRUE.equals(metric.dryRun) ? Boolean.TRUE : null;
        next.count = previous == null || previous.count == null ? 0 : previous.count;
        next.successful = previous == null || previous.successful == null ? 0 : previous.successful;
        next.failed = previous == null || previous.failed == null ? 0 : previous.failed;
        next.inconclusive = previous == null || previous.inconclusive == null ? 0 : previous.inconclusive;
        next.error = previous == null || previous.error == null ? 0 : previous.error;
        next.consecutiveError = previous == null || previous.consecutiveError == null ? 0 : previous.consecutiveError;
        next.measurements = new ArrayList<>();
        if (previous != null && previous.measurements != null) {
            previous.measurements.forEach(m -> next.measurements.add(copy(m)));
        }
        return next;
    }

    private static Measurement copy(Measurement m) {
        Measurement copy = new Measurement();
        copy.phase = m.phase;
        copy.value = m.value;
        copy.message = m.message;
        copy.startedAt = m.startedAt;
        copy.finishedAt = m.finishedAt;
        return copy;
    }

    static int failureLimit(Metric metric) {
        return metric.failureLimit == null ? Defaults.FAILURE_LIMIT : metric.failureLimit;
    }

    static int inconclusiveLimit(Metric metric) {
        return metric.inconclusiveLimit == null ? Defaults.INCONCLUSIVE_LIMIT : metric.inconclusiveLimit;
    }

    static int consecutiveErrorLimit(Metric metric) {
        return metric.consecutiveErrorLimit == null ? Defaults.CONSECUTIVE_ERROR_LIMIT : metric.consecutiveErrorLimit;
    }
}
