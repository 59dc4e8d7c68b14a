package io.sluice.demo.prometheus;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * The answer of an instant query ({@code /api/v1/query}).
 *
 * @param resultType {@code vector}, {@code scalar}, {@code matrix} or {@code string}
 * @param samples a vector's samples; a scalar as one sample without labels; empty for matrix and
 *     string results (see {@code json})
 * @param json the whole answer, for failure messages
 */
public record QueryResult(String resultType, List<Sample> samples, String json) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public record Sample(Map<String, String> labels, double value) {}

    public QueryResult {
        samples = List.copyOf(samples);
    }

    /** Parses a successful answer; {@code status: error} is rejected with Prometheus' message. */
    static QueryResult parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Prometheus answered with something that is not JSON: " + json, e);
        }
        if (!"success".equals(root.path("status").asText())) {
            throw new IllegalArgumentException("Prometheus rejected the query: "
                    + root.path("errorType").asText() + ": " + root.path("error").asText());
        }
        JsonNode data = root.path("data");
        String resultType = data.path("resultType").asText();
        JsonNode result = data.path("result");
        List<Sample> samples = new ArrayList<>();
        switch (resultType) {
            case "vector" -> {
                for (JsonNode series : result) {
                    Map<String, String> labels = new LinkedHashMap<>();
                    series.path("metric").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
                    samples.add(new Sample(Map.copyOf(labels), parseValue(series.path("value").get(1).asText())));
                }
            }
            case "scalar" -> samples.add(new Sample(Map.of(), parseValue(result.get(1).asText())));
            default -> { /* matrix and string results stay available as json */ }
        }
        return new QueryResult(resultType, samples, json);
    }

    /** Prometheus writes sample values as strings, with Go's spelling of the special values. */
    static double parseValue(String value) {
        return switch (value) {
            case "NaN" -> Double.NaN;
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(value);
        };
    }

    /**
     * The value of the only sample, empty when the query matched nothing (no data yet).
     *
     * @throws IllegalStateException when there is more than one sample
     */
    public OptionalDouble singleValue() {
        if (samples.size() > 1) {
            throw new IllegalStateException("expected at most one sample, got " + samples.size() + ": " + json);
        }
        return samples.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(samples.getFirst().value());
    }

    @Override
    public String toString() {
        return json;
    }
}
