package io.sluice.analysis.prometheus;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.analysis.MeasurementException;
import io.sluice.analysis.QueryValue;

import java.util.ArrayList;
import java.util.List;

/**
 * Maps an answer of Prometheus' instant query API onto a {@link QueryValue}, each shape explicitly:
 * <ul>
 *   <li>scalar → its number;</li>
 *   <li>vector with one element → its number; with several → one number per series;</li>
 *   <li>empty vector → no data ("empty result");</li>
 *   <li>NaN → no data: as a scalar or the only element, or dropped from a multi-element vector (no
 *       data for that series), no data if every element is NaN;</li>
 *   <li>+Inf / -Inf → values that compare above / below every number;</li>
 *   <li>matrix (range vector) or string → an error: an analysis judges numbers at one instant;</li>
 *   <li>{@code "status":"error"}, an HTTP error, or anything that is not the API's JSON → an error.</li>
 * </ul>
 */
final class PrometheusAnswer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EXCERPT_CHARS = 200;

    private PrometheusAnswer() {
    }

    /**
     * @param endpoint   the endpoint's name, for messages
     * @param httpStatus the HTTP status of the answer
     * @param body       the answer's body
     * @throws MeasurementException for every answer that is not a number, numbers or no data
     */
    static QueryValue parse(String endpoint, int httpStatus, String body) throws MeasurementException {
        return parse(endpoint, httpStatus, body, "its bearer-token-secret or basic-auth-secret");
    }

    /** @param credentials which credentials a 401 or 403 points at */
    static QueryValue parse(String endpoint, int httpStatus, String body, String credentials) throws MeasurementException {
        String who = "Prometheus '" + endpoint + "'";
        if (httpStatus == 401 || httpStatus == 403) {
            throw new MeasurementException(who + " refused the request (HTTP " + httpStatus + "): check the credentials "
                    + "of " + credentials);
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JacksonException e) {
            root = null;
        }
        if (root == null || !root.isObject()) {
            throw new MeasurementException(who + " answered HTTP " + httpStatus + " with something other than its "
                    + "API's JSON: " + excerpt(body));
        }
        String status = root.path("status").asText();
        if ("error".equals(status)) {
            throw new MeasurementException(who + " refused the query (HTTP " + httpStatus + ", "
                    + root.path("errorType").asText("unknown error type") + "): " + root.path("error").asText());
        }
        if (!"success".equals(status) || httpStatus / 100 != 2) {
            throw new MeasurementException(who + " answered HTTP " + httpStatus + " with status '" + status + "': "
                    + excerpt(body));
        }
        JsonNode data = root.path("data");
        String resultType = data.path("resultType").asText();
        JsonNode result = data.path("result");
        return switch (resultType) {
            case "scalar" -> single(sample(who, result));
            case "vector" -> vector(who, result);
            case "matrix" -> throw new MeasurementException(who + " returned a range vector (matrix): an analysis "
                    + "judges numbers at one instant, so reduce the range, e.g. rate(x[1m]) or max_over_time(x[5m])");
            case "string" -> throw new MeasurementException(who + " returned a string; an analysis needs a number "
                    + "(a scalar or an instant vector)");
            default -> throw new MeasurementException(who + " returned an unknown result type '" + resultType + "'");
        };
    }

    private static QueryValue vector(String who, JsonNode result) throws MeasurementException {
        if (!result.isArray()) {
            throw new MeasurementException(who + " returned a vector without a result list");
        }
        if (result.isEmpty()) {
            return new QueryValue.NoData("empty result");
        }
        List<Double> values = new ArrayList<>();
        for (JsonNode series : result) {
            double value = sample(who, series.path("value"));
            if (!Double.isNaN(value)) {
                values.add(value);
            }
        }
        return switch (values.size()) {
            case 0 -> new QueryValue.NoData(result.size() == 1 ? "NaN" : "NaN in all " + result.size() + " series");
            case 1 -> new QueryValue.Single(values.getFirst());
            default -> new QueryValue.Series(values);
        };
    }

    private static QueryValue single(double value) {
        return Double.isNaN(value) ? new QueryValue.NoData("NaN") : new QueryValue.Single(value);
    }

    /** A sample is [timestamp, "value"], the value in Go's spelling (NaN, +Inf, -Inf, 1e-05). */
    private static double sample(String who, JsonNode sample) throws MeasurementException {
        String text = sample.path(1).asText(null);
        if (text == null) {
            throw new MeasurementException(who + " returned a sample without a value: " + sample);
        }
        return switch (text) {
            case "NaN" -> Double.NaN;
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> {
                try {
                    yield Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw new MeasurementException(who + " returned a sample value that is not a number: '"
                            + excerpt(text) + "'");
                }
            }
        };
    }

    private static String excerpt(String text) {
        String oneLine = text.strip().replaceAll("\\s+", " ");
        return oneLine.length() <= EXCERPT_CHARS ? oneLine : oneLine.substring(0, EXCERPT_CHARS) + "…";
    }
}
