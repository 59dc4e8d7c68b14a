package io.sluice.analysis.prometheus;

import io.sluice.analysis.ArgResolver;
import io.sluice.analysis.MeasurementException;
import io.sluice.analysis.MetricProvider;
import io.sluice.analysis.QueryValue;
import io.sluice.analysis.Reading;
import io.sluice.analysis.ResolvedArgs;
import io.sluice.analysis.SecretLookup;
import io.sluice.api.v1alpha1.Defaults;
import io.sluice.api.v1alpha1.Metric;
import io.sluice.api.v1alpha1.PrometheusCredentials;
import io.sluice.api.v1alpha1.PrometheusMetric;
import io.sluice.config.SluiceConfig;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * Measures metrics with instant queries ({@code GET /api/v1/query}) against the Prometheus endpoints
 * of the operator's configuration ({@code sluice.prometheus.<name>.*}). A metric names its endpoint;
 * an unknown name is an error, never a fallback. Args are rendered into the query as escaped string
 * literals ({@link ArgResolver#render}), never one from a Secret; such an arg may only be the
 * metric's own credential ({@code credentials}), sent in the Authorization header to an endpoint
 * configured without credentials of its own. Every failure becomes an unavailable reading whose
 * reason has the Secret-sourced arg values redacted.
 */
public final class PrometheusProvider implements MetricProvider, AutoCloseable {
    private final Map<String, PrometheusEndpoint> endpoints = new TreeMap<>();

    /**
     * @param endpoints       the configured endpoints by name
     * @param secrets         reads the endpoints' credential Secrets
     * @param secretNamespace the operator's namespace, where those Secrets are; null if unknown
     */
    public PrometheusProvider(Map<String, SluiceConfig.Prometheus> endpoints, SecretLookup secrets, String secretNamespace) {
        endpoints.forEach((name, config) -> this.endpoints.put(name, new PrometheusEndpoint(name, config, secrets, secretNamespace)));
    }

    @Override
    public Reading measure(Metric metric, ResolvedArgs args) {
        PrometheusMetric prometheus = metric.provider == null ? null : metric.provider.prometheus;
        if (prometheus == null || prometheus.query == null) {
            return new Reading.Unavailable("metric " + metric.name + " has no prometheus query");
        }
        String endpoint = prometheus.provider == null ? Defaults.PROMETHEUS_PROVIDER : prometheus.provider;
        try {
            Optional<String> authorization = authorization(prometheus.credentials, args);
            QueryValue value = query(endpoint, ArgResolver.render(prometheus.query, args), authorization);
            if (value instanceof QueryValue.NoData || metric.noData == null || metric.noData.trafficQuery == null) {
                return new Reading.Taken(value, OptionalDouble.empty());
            }
            return new Reading.Taken(value, traffic(endpoint, metric.noData.trafficQuery, args, authorization));
        } catch (MeasurementException e) {
            return new Reading.Unavailable(args.redact(e.getMessage()));
        }
    }

    /**
     * Runs an instant query on the named endpoint.
     *
     * @throws MeasurementException when no endpoint has that name, or the query fails (see
     *                              {@link PrometheusAnswer} for which answers are failures)
     */
    public QueryValue query(String endpointName, String promql) throws MeasurementException {
        return query(endpointName, promql, Optional.empty());
    }

    private QueryValue query(String endpointName, String promql, Optional<String> authorization) throws MeasurementException {
        PrometheusEndpoint endpoint = endpoints.get(endpointName);
        if (endpoint == null) {
            throw new MeasurementException("no Prometheus named '" + endpointName + "' is configured"
                    + (endpoints.isEmpty() ? " (none is: set sluice.prometheus." + endpointName + ".address)"
                    : " (configured: " + String.join(", ", endpoints.keySet()) + ")"));
        }
        return endpoint.query(promql, authorization);
    }

    /**
     * The metric's own Authorization header, from its credential args; empty when it has none. The
     * values come from Secrets ({@link ResolvedArgs#credential}) and leave only in the header.
     */
    private static Optional<String> authorization(PrometheusCredentials credentials, ResolvedArgs args)
            throws MeasurementException {
        if (credentials == null) {
            return Optional.empty();
        }
        if (credentials.bearerTokenArg != null) {
            String token = args.credential(credentials.bearerTokenArg, true).strip();
            if (token.isEmpty() || token.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new MeasurementException("the bearer token of arg '" + credentials.bearerTokenArg
                        + "' (credentials.bearerTokenArg) is empty or contains control characters");
            }
            return Optional.of("Bearer " + token);
        }
        if (credentials.usernameArg != null && credentials.passwordArg != null) {
            String username = args.credential(credentials.usernameArg, false);
            String password = args.credential(credentials.passwordArg, true);
            return Optional.of("Basic " + Base64.getEncoder().encodeToString(
                    (username + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
        throw new MeasurementException("credentials needs bearerTokenArg, or usernameArg and passwordArg");
    }

    @Override
    public void close() {
        endpoints.values().forEach(PrometheusEndpoint::close);
    }

    /** The trafficQuery's one number; no data there is an empty traffic, which the assessment counts as no data. */
    private OptionalDouble traffic(String endpoint, String trafficQuery, ResolvedArgs args, Optional<String> authorization)
            throws MeasurementException {
        QueryValue traffic;
        try {
            traffic = query(endpoint, ArgResolver.render(trafficQuery, args), authorization);
        } catch (MeasurementException e) {
            throw new MeasurementException("noData.trafficQuery: " + e.getMessage(), e);
        }
        return switch (traffic) {
            case QueryValue.Single single -> OptionalDouble.of(single.value());
            case QueryValue.NoData noData -> OptionalDouble.empty();
            case QueryValue.Series series -> throw new MeasurementException("noData.trafficQuery returned "
                    + series.seriesCount() + " series; it must return one number, e.g. sum(increase(...[1m]))");
        };
    }
}
