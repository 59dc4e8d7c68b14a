package io.sluice.analysis;

import io.sluice.api.v1alpha1.AnalysisPhase;
import io.sluice.api.v1alpha1.Metric;
import io.sluice.api.v1alpha1.MetricResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AnalysisVerdictTest {
    private static final Instant T0 = Instant.parse("2025-01-01T10:00:00Z");
    private final MetricAssessment assessment = new MetricAssessment(new ConditionEvaluator());

    /** Each metric has count 2 and no tolerance; its readings as in {@link MetricAssessmentTest}, '-' for none yet. */
    @ParameterizedTest(name = "[{index}] {0} + {1} → {2}")
    @CsvSource(delimiter = '|', value = {
            "S S   | S S   | Successful",
            "S S   | S     | Running",
            "S     | -     | Running",
            "-     | -     | Pending",
            "F     | S     | Failed",
            "S     | X X X X X | Error",
            "I     | S     | Inconclusive",
            "I     | F     | Failed",
            "X X X X X | F | Failed",
            "I     | X X X X X | Error",
            "F     | X X X X X | Failed",
    })
    void theWorstDecisiveMetricDecides(String first, String second, AnalysisPhase phase) {
        List<Metric> metrics = List.of(metric("error-rate"), metric("latency"));

        AnalysisVerdict verdict = AnalysisVerdict.of(metrics, results(metrics, first, second));

        assertThat(verdict.phase()).as(verdict.message()).isEqualTo(phase);
    }

    @Test
    void theMessageNamesTheDecidingMetric() {
        List<Metric> metrics = List.of(metric("error-rate"), metric("latency"));

        AnalysisVerdict verdict = AnalysisVerdict.of(metrics, results(metrics, "S", "F"));

        assertThat(verdict).isEqualTo(new AnalysisVerdict(AnalysisPhase.Failed,
                "latency = 0.2 breached `result < 0.01` (1 failed, limit 0)"));
    }

    @Test
    void aDryRunMetricIsReportedButNeverDecides() {
        Metric candidate = metric("error-rate-v2");
        candidate.dryRun = true;
        List<Metric> metrics = List.of(metric("error-rate"), candidate);

        AnalysisVerdict verdict = AnalysisVerdict.of(metrics, results(metrics, "S S", "F"));

        assertThat(verdict).isEqualTo(new AnalysisVerdict(AnalysisPhase.Successful,
                "all metrics successful: error-rate 2 of 2; dryRun, not decisive: "
                        + "error-rate-v2 = 0.2 breached `result < 0.01` (1 failed, limit 0)"));
    }

    @Test
    void aRunEndsOnlyOnceItsDryRunMetricsHaveCompletedToo() {
        Metric candidate = metric("error-rate-v2");
        candidate.dryRun = true;
        List<Metric> metrics = List.of(metric("error-rate"), candidate);

        assertThat(AnalysisVerdict.of(metrics, results(metrics, "S S", "S")).phase()).isEqualTo(AnalysisPhase.Running);
        assertThat(AnalysisVerdict.of(metrics, results(metrics, "S", "F")).phase()).isEqualTo(AnalysisPhase.Running);
    }

    @Test
    void progressNamesEveryMetricStillMeasuring() {
        List<Metric> metrics = List.of(metric("error-rate"), metric("latency"));

        assertThat(AnalysisVerdict.of(metrics, results(metrics, "S", "-")).message())
                .isEqualTo("measuring: error-rate = 0.001 met `result < 0.01` (1 of 2 measured); latency: no measurement yet");
    }

    private List<MetricResult> results(List<Metric> metrics, String... readings) {
        List<MetricResult> results = new ArrayList<>();
        for (int i = 0; i < metrics.size(); i++) {
            if (readings[i].equals("-")) {
                continue;
            }
            MetricResult result = null;
            for (String code : readings[i].split(" ")) {
                Reading reading = switch (code) {
                    case "S" -> Reading.Taken.of(new QueryValue.Single(0.001));
                    case "F" -> Reading.Taken.of(new QueryValue.Single(0.2));
                    case "I" -> Reading.Taken.of(new QueryValue.NoData("empty result"));
                    case "X" -> new Reading.Unavailable("connection refused");
                    default -> throw new IllegalArgumentException(code);
                };
                result = assessment.assess(metrics.get(i), result, reading, T0, T0);
            }
            results.add(result);
        }
        return results;
    }

    private static Metric metric(String name) {
        Metric metric = MetricAssessmentTest.metric(0, 0, 4, 2);
        metric.name = name;
        metric.failureCondition = null;
        return metric;
    }
}
