package io.sluice.analysis;

import io.sluice.api.v1alpha1.AnalysisPhase;
import io.sluice.api.v1alpha1.Measurement;
import io.sluice.api.v1alpha1.Metric;
import io.sluice.api.v1alpha1.MetricResult;
import io.sluice.api.v1alpha1.NoDataPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MetricAssessmentTest {
    private static final Instant T0 = Instant.parse("2025-01-01T10:00:00Z");
    private final MetricAssessment assessment = new MetricAssessment(new ConditionEvaluator());

    /**
     * Readings: S a good value (0.001), F a breach (0.2), I between the conditions (0.03), N no data
     * (empty result), X could not be taken. Phases after each: R Running, S Successful, F Failed,
     * I Inconclusive, E Error.
     */
    @ParameterizedTest(name = "[{index}] {0}: {6} → {7}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            // case                                      |fail|inc|err|count|noData      |readings          |phases
            "failureLimit 0: the first breach fails      | 0  | 0 | 4 | -  | -            | S F              | R F",
            "failureLimit 2: two breaches are tolerated  | 2  | 0 | 4 | -  | -            | F F              | R R",
            "failureLimit 2: the third breach fails      | 2  | 0 | 4 | -  | -            | F F F            | R R F",
            "failureLimit 2: breaches need not be in a row| 2 | 0 | 4 | -  | -            | F S F S F        | R R R R F",
            "inconclusiveLimit 0: the first one pauses   | 0  | 0 | 4 | -  | -            | I                | I",
            "inconclusiveLimit 1: the second one pauses  | 0  | 1 | 4 | -  | -            | I S I            | R R I",
            "consecutiveErrorLimit 0                     | 0  | 0 | 0 | -  | -            | X                | E",
            "consecutiveErrorLimit 2: at the limit       | 0  | 0 | 2 | -  | -            | X X              | R R",
            "consecutiveErrorLimit 2: one over           | 0  | 0 | 2 | -  | -            | X X X            | R R E",
            "a success breaks the error streak           | 0  | 0 | 2 | -  | -            | X X S X X S X X  | R R R R R R R R",
            "no data breaks the error streak too         | 0  | 1 | 1 | -  | -            | X N X            | R R R",
            "count 1 (a step analysis)                   | 0  | 0 | 4 | 1  | -            | S                | S",
            "count 3 reached                             | 0  | 0 | 4 | 3  | -            | S S S            | R R S",
            "errors do not count towards count           | 0  | 0 | 4 | 3  | -            | S X S X S        | R R R R S",
            "count reached with tolerated breaches       | 1  | 1 | 4 | 3  | -            | F I S            | R R S",
            "count reached without one success           | 1  | 1 | 4 | 2  | -            | F I              | R I",
            "a breach at the last count still fails      | 0  | 0 | 4 | 2  | -            | S F              | R F",
            "no data is Inconclusive by default          | 0  | 0 | 4 | -  | -            | N                | I",
            "no data within inconclusiveLimit            | 0  | 2 | 4 | 3  | -            | N S N            | R R S",
            "no data as Inconclusive, explicitly         | 0  | 0 | 4 | -  | Inconclusive | N                | I",
            "no data as Failed                           | 1  | 0 | 4 | -  | Failed       | N N              | R F",
            "no data as Successful, chosen explicitly    | 0  | 0 | 4 | 2  | Successful   | N N              | R S",
    })
    void limitsDecideTheMetric(String name, int failureLimit, int inconclusiveLimit, int consecutiveErrorLimit,
            Integer count, String noDataOutcome, String readings, String phases) {
        Metric metric = metric(failureLimit, inconclusiveLimit, consecutiveErrorLimit, count);
        if (noDataOutcome != null) {
            metric.noData = new NoDataPolicy();
            metric.noData.outcome = noDataOutcome;
        }

        List<String> seen = new ArrayList<>();
        MetricResult result = null;
        Instant at = T0;
        for (String reading : readings.split(" ")) {
            result = assessment.assess(metric, result, reading(reading), at, at.plusMillis(20));
            seen.add(result.phase.name().substring(0, 1));
            at = at.plusSeconds(30);
        }

        assertThat(String.join(" ", seen)).as("%s; last: %s", name, MetricAssessment.describe(metric, result))
                .isEqualTo(phases);
    }

    @Test
    void tallies() {
        Metric metric = metric(2, 1, 4, null);
        MetricResult result = run(metric, "S F X X I S N");

        assertThat(result.count).isEqualTo(5);
        assertThat(result.successful).isEqualTo(2);
        assertThat(result.failed).isEqualTo(1);
        assertThat(result.inconclusive).isEqualTo(2);
        assertThat(result.error).isEqualTo(2);
        assertThat(result.consecutiveError).isZero();
        assertThat(result.phase).isEqualTo(AnalysisPhase.Inconclusive);
    }

    @Test
    void theDecidingMessageNamesMetricValueConditionAndLimit() {
        Metric metric = metric(2, 0, 4, null);
        metric.failureCondition = null;
        MetricResult result = run(metric, "F F");
        result = assessment.assess(metric, result, Reading.Taken.of(new QueryValue.Single(0.21034482758620687)), T0, T0);

        assertThat(result.phase).isEqualTo(AnalysisPhase.Failed);
        assertThat(MetricAssessment.describe(metric, result))
                .isEqualTo("error-rate = 0.2103 breached `result < 0.01` (3 failed, limit 2)");
        assertThat(result.measurements.getLast().value).isEqualTo("0.21034482758620687");
    }

    @Test
    void otherMessages() {
        Metric metric = metric(0, 0, 1, null);
        assertThat(MetricAssessment.describe(metric, run(metric, "N")))
                .isEqualTo("error-rate: no data (empty result), counted as Inconclusive (1 inconclusive, limit 0)");
        assertThat(MetricAssessment.describe(metric, run(metric, "X X")))
                .isEqualTo("error-rate: cannot connect to Prometheus 'default' (2 errors in a row, limit 1)");
        assertThat(MetricAssessment.describe(metric, run(metric, "S")))
                .isEqualTo("error-rate = 0.001 met `result < 0.01` (1 measured)");
        assertThat(MetricAssessment.describe(metric(2, 1, 4, 5), run(metric(2, 1, 4, 5), "F S I X")))
                .isEqualTo("error-rate: cannot connect to Prometheus 'default' "
                        + "(3 of 5 measured, 1 failed, limit 2, 1 inconclusive, limit 1, 1 error in a row, limit 4)");
        metric.count = 1;
        assertThat(MetricAssessment.describe(metric, run(metric, "S")))
                .isEqualTo("error-rate = 0.001 met `result < 0.01` (1 of 1 successful)");
        assertThat(MetricAssessment.describe(metric, null)).isEqualTo("error-rate: no measurement yet");
    }

    @Test
    void nanIsNoDataNeverAPass() {
        Metric metric = metric(0, 0, 4, 1);
        metric.failureCondition = null; // only a success condition: a NaN judged by it could not pass, but must not fail either

        MetricResult result = assessment.assess(metric, null, Reading.Taken.of(new QueryValue.NoData("NaN")), T0, T0);

        assertThat(result.phase).isEqualTo(AnalysisPhase.Inconclusive);
        assertThat(result.measurements.getLast().value).isEqualTo("NaN");
        assertThat(result.measurements.getLast().message).isEqualTo("no data (NaN), counted as Inconclusive");
    }

    @Test
    void fewerSeriesThanMinSamplesIsNoData() {
        Metric metric = metric(0, 5, 4, null);
        metric.successCondition = "result.all(x, x < 0.01)";
        metric.failureCondition = null;
        metric.noData = new NoDataPolicy();
        metric.noData.minSamples = 3;

        Measurement two = assessment.judge(metric, Reading.Taken.of(new QueryValue.Series(List.of(0.001, 0.002))));
        Measurement three = assessment.judge(metric, Reading.Taken.of(new QueryValue.Series(List.of(0.001, 0.002, 0.5))));
        Measurement one = assessment.judge(metric, Reading.Taken.of(new QueryValue.Single(0.001)));

        assertThat(two.phase).isEqualTo(AnalysisPhase.Inconclusive);
        assertThat(two.message).isEqualTo("no data (2 series, fewer than minSamples 3), counted as Inconclusive");
        assertThat(three.phase).isEqualTo(AnalysisPhase.Failed);
        assertThat(three.message).isEqualTo("[0.001, 0.002, 0.5] breached `result.all(x, x < 0.01)`");
        assertThat(one.phase).isEqualTo(AnalysisPhase.Inconclusive);
    }

    @Test
    void trafficBelowMinTrafficIsNoData() {
        Metric metric = metric(0, 5, 4, null);
        metric.noData = new NoDataPolicy();
        metric.noData.trafficQuery = "sum(increase(requests_total[1m]))";
        metric.noData.minTraffic = 20.0;
        QueryValue breach = new QueryValue.Single(0.5); // 1 of 2 requests failed: too few to judge

        Measurement little = assessment.judge(metric, new Reading.Taken(breach, OptionalDouble.of(2)));
        Measurement enough = assessment.judge(metric, new Reading.Taken(breach, OptionalDouble.of(20)));
        Measurement unknown = assessment.judge(metric, new Reading.Taken(breach, OptionalDouble.empty()));

        assertThat(little.phase).isEqualTo(AnalysisPhase.Inconclusive);
        assertThat(little.message).isEqualTo("no data (traffic 2 below minTraffic 20), counted as Inconclusive");
        assertThat(little.value).isEqualTo("0.5");
        assertThat(enough.phase).isEqualTo(AnalysisPhase.Failed);
        assertThat(unknown.message).isEqualTo("no data (trafficQuery returned no data), counted as Inconclusive");
    }

    @Test
    void infinityIsAValueThatBreaches() {
        Metric metric = metric(0, 0, 4, null);
        metric.failureCondition = null;
        metric.successCondition = "result < 0.3";

        Measurement p95AboveTheTopBucket = assessment.judge(metric,
                Reading.Taken.of(new QueryValue.Single(Double.POSITIVE_INFINITY)));

        assertThat(p95AboveTheTopBucket.phase).isEqualTo(AnalysisPhase.Failed);
        assertThat(p95AboveTheTopBucket.value).isEqualTo("+Inf");
        assertThat(p95AboveTheTopBucket.message).isEqualTo("+Inf breached `result < 0.3`");
    }

    @Test
    void aBrokenConditionIsAnErrorMeasurement() {
        Metric metric = metric(0, 0, 0, null);
        metric.successCondition = "result <";
        metric.failureCondition = null;

        MetricResult result = assessment.assess(metric, null, Reading.Taken.of(new QueryValue.Single(1)), T0, T0);

        assertThat(result.phase).isEqualTo(AnalysisPhase.Error);
        assertThat(result.error).isEqualTo(1);
        assertThat(result.count).isZero();
    }

    @Test
    void dryRunIsRecordedOnTheResult() {
        Metric metric = metric(0, 0, 4, null);
        metric.dryRun = true;

        MetricResult result = run(metric, "F");

        assertThat(result.dryRun).isTrue();
        assertThat(result.phase).as("assessed like any other; the run's verdict ignores it").isEqualTo(AnalysisPhase.Failed);
    }

    @Test
    void onlyTheLastTenMeasurementsAreKept() {
        Metric metric = metric(0, 0, 100, null);
        MetricResult result = run(metric, "S S S S S X X X X X X X X X X"); // 5 successes, 10 errors

        assertThat(result.measurements).hasSize(MetricAssessment.MEASUREMENTS_KEPT)
                .allSatisfy(m -> assertThat(m.phase).isEqualTo(AnalysisPhase.Error));
        assertThat(result.measurements.getLast().startedAt).isEqualTo(T0.plusSeconds(14 * 30).toString());
        assertThat(result.count).isEqualTo(5);
        assertThat(result.error).isEqualTo(10);
    }

    @Test
    void thePreviousResultIsNotModified() {
        Metric metric = metric(2, 0, 4, null);
        MetricResult before = run(metric, "S");

        MetricResult after = assessment.assess(metric, before, reading("F"), T0, T0);

        assertThat(before.failed).isZero();
        assertThat(before.measurements).hasSize(1);
        assertThat(after.failed).isEqualTo(1);
        assertThat(after.measurements).hasSize(2);
    }

    @Test
    void absentLimitsTakeTheDefaults() {
        Metric metric = metric(0, 0, 0, null);
        metric.failureLimit = null;
        metric.inconclusiveLimit = null;
        metric.consecutiveErrorLimit = null;

        assertThat(run(metric, "X X X X").phase).isEqualTo(AnalysisPhase.Running);
        assertThat(run(metric, "X X X X X").phase).isEqualTo(AnalysisPhase.Error);
        assertThat(run(metric, "F").phase).isEqualTo(AnalysisPhase.Failed);
    }

    @Test
    void aCompletedMetricIsNotMeasuredAgain() {
        Metric metric = metric(0, 0, 4, null);
        MetricResult failed = run(metric, "F");

        assertThatThrownBy(() -> assessment.assess(metric, failed, reading("S"), T0, T0))
                .isInstanceOf(IllegalStateException.class).hasMessage("metric error-rate is already Failed");
    }

    private MetricResult run(Metric metric, String readings) {
        MetricResult result = null;
        Instant at = T0;
        for (String reading : readings.split(" ")) {
            result = assessment.assess(metric, result, reading(reading), at, at.plus(Duration.ofMillis(20)));
            at = at.plusSeconds(30);
        }
        return result;
    }

    private static Reading reading(String code) {
        return switch (code) {
            case "S" -> Reading.Taken.of(new QueryValue.Single(0.001));
            case "F" -> Reading.Taken.of(new QueryValue.Single(0.2));
            case "I" -> Reading.Taken.of(new QueryValue.Single(0.03));
            case "N" -> Reading.Taken.of(new QueryValue.NoData("empty result"));
            case "X" -> new Reading.Unavailable("cannot connect to Prometheus 'default'");
            default -> throw new IllegalArgumentException(code);
        };
    }

    static Metric metric(int failureLimit, int inconclusiveLimit, int consecutiveErrorLimit, Integer count) {
        Metric metric = new Metric();
        metric.name = "error-rate";
        metric.successCondition = "result < 0.01";
        metric.failureCondition = "result > 0.05";
        metric.failureLimit = failureLimit;
        metric.inconclusiveLimit = inconclusiveLimit;
        metric.consecutiveErrorLimit = consecutiveErrorLimit;
        metric.count = count;
        return metric;
    }
}
