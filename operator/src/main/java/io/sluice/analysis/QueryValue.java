package io.sluice.analysis;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What a metric query returned, once the provider's answer shapes are mapped: one number, one
 * number per series, or no data. NaN never appears in a value: it is "no data" (0/0 when nothing
 * was served), and must never be judged by a condition.
 *
 * <p>±Infinity is a value (for example {@code histogram_quantile} above the highest bucket, or a
 * ratio over a vanished denominator with errors left): it is larger, or smaller, than every number,
 * so {@code result < 0.5} is false for +Inf and a breach is never hidden.
 */
public sealed interface QueryValue {

    /** Series shown in a measurement's value; a larger result is shortened so the status stays small. */
    int SERIES_SHOWN = 10;

    /** The value as a measurement records it: exact numbers, NaN-free. */
    String text();

    /** The value in a sentence: four significant digits. */
    String shortText();

    /** How many series carry the value (1 for a scalar or a single-element vector). */
    int seriesCount();

    /** A scalar, or a vector with one element. */
    record Single(double value) implements QueryValue {
        public Single {
            if (Double.isNaN(value)) {
                throw new IllegalArgumentException("NaN is no data, not a value");
            }
        }

        @Override
        public String text() {
            return exact(value);
        }

        @Override
        public String shortText() {
            return rounded(value);
        }

        @Override
        public int seriesCount() {
            return 1;
        }
    }

    /** A vector with several elements, NaN elements left out (a series with no data is not a sample). */
    record Series(List<Double> values) implements QueryValue {
        public Series {
            values = List.copyOf(values);
            if (values.size() < 2 || values.stream().anyMatch(v -> v.isNaN())) {
                throw new IllegalArgumentException("a series value has at least two numbers and no NaN: " + values);
            }
        }

        @Override
        public String text() {
            return list(values.stream().limit(SERIES_SHOWN).map(QueryValue::exact).collect(Collectors.joining(", ")));
        }

        @Override
        public String shortText() {
            return list(values.stream().limit(SERIES_SHOWN).map(QueryValue::rounded).collect(Collectors.joining(", ")));
        }

        @Override
        public int seriesCount() {
            return values.size();
        }

        private String list(String shown) {
            return "[" + shown + (values.size() > SERIES_SHOWN ? ", … " + values.size() + " series]" : "]");
        }
    }

    /**
     * No number to judge.
     *
     * @param reason what was returned, e.g. {@code empty result} or {@code NaN}
     */
    record NoData(String reason) implements QueryValue {
        @Override
        public String text() {
            return reason;
        }

        @Override
        public String shortText() {
            return reason;
        }

        @Override
        public int seriesCount() {
            return 0;
        }
    }

    /** Shortest exact form, with Prometheus' spelling of the infinities. */
    static String exact(double value) {
        if (Double.isInfinite(value)) {
            return value > 0 ? "+Inf" : "-Inf";
        }
        return plain(BigDecimal.valueOf(value));
    }

    static String rounded(double value) {
        if (Double.isInfinite(value)) {
            return exact(value);
        }
        return plain(BigDecimal.valueOf(value).round(new MathContext(4)));
    }

    private static String plain(BigDecimal number) {
        BigDecimal stripped = number.stripTrailingZeros();
        if (stripped.signum() == 0) {
            return "0";
        }
        double magnitude = Math.abs(stripped.doubleValue());
        // plain digits for the everyday range, scientific beyond it (1E+12, 2.5E-9)
        return magnitude >= 1e-6 && magnitude < 1e12 ? stripped.toPlainString() : stripped.toString();
    }
}
