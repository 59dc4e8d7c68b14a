package io.sluice.analysis;

import io.sluice.analysis.ConditionEvaluator.Verdict;
import io.sluice.api.v1alpha1.AnalysisPhase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ConditionEvaluatorTest {
    private final ConditionEvaluator evaluator = new ConditionEvaluator();

    @ParameterizedTest(name = "{0} with success `{1}`, failure `{2}` → {3}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            // value | successCondition | failureCondition | phase
            "0.001   | result < 0.01    | -                | Successful",
            "0.2     | result < 0.01    | -                | Failed",
            "0.2     | -                | result > 0.05    | Failed",
            "0.001   | -                | result > 0.05    | Successful",
            "0.001   | result < 0.01    | result > 0.05    | Successful",
            "0.2     | result < 0.01    | result > 0.05    | Failed",
            "0.03    | result < 0.01    | result > 0.05    | Inconclusive",
            "0.2     | result < 1       | result > 0.1     | Failed",
            "250     | result < 300     | -                | Successful",
            "300     | result < 300     | -                | Failed",
            "0       | result == 0      | -                | Successful",
            "0.005   | '   '            | result > 0.05    | Successful",
    })
    void conditionsDecideTheMeasurement(double value, String success, String failure, AnalysisPhase phase) {
        assertThat(evaluator.evaluate(success, failure, new QueryValue.Single(value)).phase()).isEqualTo(phase);
    }

    @Test
    void messagesQuoteTheCondition() {
        assertThat(evaluator.evaluate("result < 0.01", null, new QueryValue.Single(0.2)))
                .isEqualTo(new Verdict(AnalysisPhase.Failed, "breached `result < 0.01`"));
        assertThat(evaluator.evaluate("result < 0.01", "result > 0.05", new QueryValue.Single(0.03)))
                .isEqualTo(new Verdict(AnalysisPhase.Inconclusive,
                        "met neither `result < 0.01` nor failureCondition `result > 0.05`"));
        assertThat(evaluator.evaluate(null, "result > 0.05", new QueryValue.Single(0.2)))
                .isEqualTo(new Verdict(AnalysisPhase.Failed, "met failureCondition `result > 0.05`"));
    }

    @Test
    void positiveInfinityBreachesAnUpperBoundAndNegativeInfinityALowerOne() {
        assertThat(evaluator.evaluate("result < 0.5", null, new QueryValue.Single(Double.POSITIVE_INFINITY)).phase())
                .isEqualTo(AnalysisPhase.Failed);
        assertThat(evaluator.evaluate(null, "result > 0.5", new QueryValue.Single(Double.POSITIVE_INFINITY)).phase())
                .isEqualTo(AnalysisPhase.Failed);
        assertThat(evaluator.evaluate("result > 0.99", null, new QueryValue.Single(Double.NEGATIVE_INFINITY)).phase())
                .isEqualTo(AnalysisPhase.Failed);
    }

    @Test
    void aMultiSeriesResultIsAListOfNumbers() {
        QueryValue perPod = new QueryValue.Series(List.of(0.001, 0.002, 0.3));

        assertThat(evaluator.evaluate("result.all(x, x < 0.01)", null, perPod).phase()).isEqualTo(AnalysisPhase.Failed);
        assertThat(evaluator.evaluate("result.exists(x, x < 0.01)", null, perPod).phase()).isEqualTo(AnalysisPhase.Successful);
        assertThat(evaluator.evaluate("math.greatest(result) < 0.5 && size(result) == 3", null, perPod).phase())
                .isEqualTo(AnalysisPhase.Successful);
    }

    @Test
    void aScalarConditionOnAListIsAnErrorThatSaysHowToWriteIt() {
        Verdict verdict = evaluator.evaluate("result < 0.01", null, new QueryValue.Series(List.of(0.001, 0.002)));

        assertThat(verdict.phase()).isEqualTo(AnalysisPhase.Error);
        assertThat(verdict.message()).startsWith("successCondition `result < 0.01` failed on [0.001, 0.002]: ")
                .endsWith("(result is a list of 2 numbers, one per series: use e.g. result.all(x, x < 0.01) or math.greatest(result))");
    }

    @Test
    void aConditionThatDoesNotCompileIsAnError() {
        Verdict verdict = evaluator.evaluate("result <", null, new QueryValue.Single(1));

        assertThat(verdict.phase()).isEqualTo(AnalysisPhase.Error);
        assertThat(verdict.message()).startsWith("successCondition `result <` does not compile: ");
    }

    @Test
    void aConditionThatIsNotABoolIsAnError() {
        assertThat(evaluator.evaluate("result * 2", null, new QueryValue.Single(1)))
                .isEqualTo(new Verdict(AnalysisPhase.Error,
                        "successCondition `result * 2` does not compile: at 1:8: expected type 'bool' but found 'int'"));
        assertThat(evaluator.evaluate(null, "result", new QueryValue.Single(1.5)))
                .isEqualTo(new Verdict(AnalysisPhase.Error, "failureCondition `result` returned 1.5, not true or false"));
    }

    @Test
    void aBrokenFailureConditionIsAnErrorEvenWhenSuccessIsMet() {
        assertThat(evaluator.evaluate("result < 1", "nonsense(result)", new QueryValue.Single(0)).phase())
                .isEqualTo(AnalysisPhase.Error);
    }

    @Test
    void compiledExpressionsAreBoundedByTheCache() {
        ConditionEvaluator small = new ConditionEvaluator(3);

        for (int i = 0; i < 10; i++) {
            small.evaluate("result < " + i, null, new QueryValue.Single(1));
        }

        assertThat(small.cachedExpressions()).isEqualTo(3);
        assertThat(small.evaluate("result < 9", null, new QueryValue.Single(1)).phase()).isEqualTo(AnalysisPhase.Successful);
    }
}
