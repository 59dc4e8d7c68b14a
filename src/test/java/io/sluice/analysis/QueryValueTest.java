package io.sluice.analysis;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QueryValueTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // value               | exact               | in a sentence
            "0.21034482758620687   | 0.21034482758620687 | 0.2103",
            "0.01                  | 0.01                | 0.01",
            "0                     | 0                   | 0",
            "250                   | 250                 | 250",
            "1234567               | 1234567             | 1235000",
            "0.000012345           | 0.000012345         | 0.00001235",
            "-3.5                  | -3.5                | -3.5",
            "2.5e-9                | 2.5E-9              | 2.5E-9",
            "1e15                  | 1E+15               | 1E+15",
    })
    void numbersReadLikeNumbers(double value, String exact, String rounded) {
        QueryValue single = new QueryValue.Single(value);

        assertThat(single.text()).isEqualTo(exact);
        assertThat(single.shortText()).isEqualTo(rounded);
    }

    @Test
    void infinitiesAreSpelledAsPrometheusSpellsThem() {
        assertThat(new QueryValue.Single(Double.POSITIVE_INFINITY).text()).isEqualTo("+Inf");
        assertThat(new QueryValue.Single(Double.NEGATIVE_INFINITY).shortText()).isEqualTo("-Inf");
    }

    @Test
    void aLargeSeriesIsShortenedSoTheStatusStaysSmall() {
        List<Double> values = IntStream.range(0, 25).mapToObj(i -> i / 100.0).toList();

        assertThat(new QueryValue.Series(values).text())
                .isEqualTo("[0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, … 25 series]");
        assertThat(new QueryValue.Series(List.of(1.0, 2.0)).text()).isEqualTo("[1, 2]");
    }

    @Test
    void nanIsNeverAValue() {
        assertThatThrownBy(() -> new QueryValue.Single(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new QueryValue.Series(List.of(1.0, Double.NaN))).isInstanceOf(IllegalArgumentException.class);
    }
}
