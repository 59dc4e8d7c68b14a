package io.sluice.analysis;

import java.util.OptionalDouble;

/** One measurement as a provider took it, before it is judged ({@link MetricAssessment}). */
public sealed interface Reading {

    /**
     * The query ran.
     *
     * @param value   what it returned, possibly no data
     * @param traffic what the metric's {@code noData.trafficQuery} returned; empty when the metric has
     *                none, or when that query itself had no data
     */
    record Taken(QueryValue value, OptionalDouble traffic) implements Reading {
        public static Taken of(QueryValue value) {
            return new Taken(value, OptionalDouble.empty());
        }
    }

    /**
     * The measurement could not be taken: the provider is unreachable or refused the query, an arg
     * could not be resolved. Counted as an error, never as a verdict on the canary.
     *
     * @param reason why, free of secret values
     */
    record Unavailable(String reason) implements Reading {
    }
}
