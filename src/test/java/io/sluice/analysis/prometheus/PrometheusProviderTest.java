package io.sluice.analysis.prometheus;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sluice.analysis.ArgResolver;
import io.sluice.analysis.MeasurementException;
import io.sluice.analysis.QueryValue;
import io.sluice.analysis.Reading;
import io.sluice.analysis.ResolvedArgs;
import io.sluice.analysis.SecretLookup;
import io.sluice.api.v1alpha1.AnalysisArg;
import io.sluice.api.v1alpha1.ArgValueFrom;
import io.sluice.api.v1alpha1.Metric;
import io.sluice.api.v1alpha1.MetricProvider;
import io.sluice.api.v1alpha1.NoDataPolicy;
import io.sluice.api.v1alpha1.PrometheusCredentials;
import io.sluice.api.v1alpha1.PrometheusMetric;
import io.sluice.api.v1alpha1.SecretKeySelector;
import io.sluice.config.SluiceConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The provider against a tiny fake of Prometheus' query API: every answer shape, every failure. */
class PrometheusProviderTest {
    private static final String TOKEN = "tok-3n-\"secret\"";

    private final FakePrometheus fake = new FakePrometheus();
    private final Map<String, String> secrets = new HashMap<>(Map.of(
            "sluice-system/prom-token/token", TOKEN + "\n",
            "sluice-system/prom-basic/username", "sluice",
            "sluice-system/prom-basic/password", "pa:ss",
            "shop/tenant/id", "tenant-42"));
    private final SecretLookup lookup = (namespace, name, key) -> Optional.ofNullable(secrets.get(namespace + "/" + name + "/" + key));
    private PrometheusProvider provider;

    @BeforeEach
    void start() {
        fake.start();
        provider = provider(Map.of("default", endpoint(fake.address())));
    }

    @AfterEach
    void stop() {
        provider.close();
        fake.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
            "scalar                       | {\"resultType\":\"scalar\",\"result\":[1700000000.1,\"0.25\"]}                           | Single[value=0.25]",
            "vector with one element      | {\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1,\"1e-05\"]}]}       | Single[value=1.0E-5]",
            "vector with two elements     | {\"resultType\":\"vector\",\"result\":[" + "{\"metric\":{\"pod\":\"a\"},\"value\":[1,\"0.1\"]},{\"metric\":{\"pod\":\"b\"},\"value\":[1,\"0.2\"]}]} | Series[values=[0.1, 0.2]]",
            "a NaN series is left out     | {\"resultType\":\"vector\",\"result\":[" + "{\"metric\":{\"pod\":\"a\"},\"value\":[1,\"NaN\"]},{\"metric\":{\"pod\":\"b\"},\"value\":[1,\"0.2\"]},{\"metric\":{\"pod\":\"c\"},\"value\":[1,\"0.3\"]}]} | Series[values=[0.2, 0.3]]",
            "one number left is a single  | {\"resultType\":\"vector\",\"result\":[" + "{\"metric\":{\"pod\":\"a\"},\"value\":[1,\"NaN\"]},{\"metric\":{\"pod\":\"b\"},\"value\":[1,\"0.2\"]}]} | Single[value=0.2]",
            "empty vector                 | {\"resultType\":\"vector\",\"result\":[]}                                              | NoData[reason=empty result]",
            "NaN scalar                   | {\"resultType\":\"scalar\",\"result\":[1,\"NaN\"]}                                     | NoData[reason=NaN]",
            "NaN in the only element      | {\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1,\"NaN\"]}]}         | NoData[reason=NaN]",
            "NaN everywhere               | {\"resultType\":\"vector\",\"result\":[" + "{\"metric\":{\"pod\":\"a\"},\"value\":[1,\"NaN\"]},{\"metric\":{\"pod\":\"b\"},\"value\":[1,\"NaN\"]}]} | NoData[reason=NaN in all 2 series]",
            "+Inf                         | {\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1,\"+Inf\"]}]}        | Single[value=Infinity]",
            "-Inf                         | {\"resultType\":\"scalar\",\"result\":[1,\"-Inf\"]}                                    | Single[value=-Infinity]",
    })
    void everyAnswerShapeIsMappedExplicitly(String shape, String data, String expected) throws MeasurementException {
        fake.answer(200, "{\"status\":\"success\",\"data\":" + data + "}");

        assertThat(provider.query("default", "q").toString()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
            "matrix | 200 | {\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}} | Prometheus 'default' returned a range vector (matrix): an analysis judges numbers at one instant, so reduce the range, e.g. rate(x[1m]) or max_over_time(x[5m])",
            "string | 200 | {\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":[1,\"x\"]}} | Prometheus 'default' returned a string; an analysis needs a number (a scalar or an instant vector)",
            "bad query | 400 | {\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"1:5: parse error: unclosed left parenthesis\"} | Prometheus 'default' refused the query (HTTP 400, bad_data): 1:5: parse error: unclosed left parenthesis",
            "execution error | 422 | {\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"many-to-many matching not allowed\"} | Prometheus 'default' refused the query (HTTP 422, execution): many-to-many matching not allowed",
            "proxy error page | 502 | <html><body>Bad Gateway</body></html> | Prometheus 'default' answered HTTP 502 with something other than its API's JSON: <html><body>Bad Gateway</body></html>",
            "unauthorized | 401 | Unauthorized | Prometheus 'default' refused the request (HTTP 401): check the credentials of its bearer-token-secret or basic-auth-secret",
            "not a number | 200 | {\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"twelve\"]}} | Prometheus 'default' returned a sample value that is not a number: 'twelve'",
    })
    void failuresAreErrorsWithAClearMessage(String what, int status, String body, String message) {
        fake.answer(status, body);

        assertThatThrownBy(() -> provider.query("default", "q")).isInstanceOf(MeasurementException.class).hasMessage(message);
    }

    @Test
    void theQueryIsAnInstantQueryWithTheTimeout() throws MeasurementException {
        fake.answer(200, scalar("1"));

        provider.query("default", "sum(rate(x{a=\"b c&d\"}[1m]))");

        FakePrometheus.Request request = fake.lastRequest();
        assertThat(request.method()).isEqualTo("GET");
        assertThat(request.path()).isEqualTo("/api/v1/query");
        assertThat(request.parameters()).containsEntry("query", "sum(rate(x{a=\"b c&d\"}[1m]))").containsEntry("timeout", "2000ms");
        assertThat(request.authorization()).isNull();
    }

    @Test
    void anAddressWithAPathPrefixKeepsIt() throws MeasurementException {
        fake.answer(200, scalar("1"));
        try (PrometheusProvider prefixed = provider(Map.of("thanos", endpoint(fake.address() + "/prometheus/")))) {
            prefixed.query("thanos", "up");
        }

        assertThat(fake.lastRequest().path()).isEqualTo("/prometheus/api/v1/query");
    }

    @Test
    void anUnknownEndpointIsAnErrorNamingTheConfiguredOnes() {
        assertThatThrownBy(() -> provider.query("thanos", "up"))
                .hasMessage("no Prometheus named 'thanos' is configured (configured: default)");
        try (PrometheusProvider none = provider(Map.of())) {
            assertThatThrownBy(() -> none.query("default", "up"))
                    .hasMessage("no Prometheus named 'default' is configured (none is: set sluice.prometheus.default.address)");
        }
    }

    @Test
    void aSlowPrometheusIsATimeout() {
        fake.answer(200, scalar("1"), Duration.ofSeconds(3));
        try (PrometheusProvider impatient = provider(Map.of("default", endpoint(fake.address(), Duration.ofMillis(300))))) {
            assertThatThrownBy(() -> impatient.query("default", "up"))
                    .hasMessage("Prometheus 'default' at " + fake.address() + " did not answer within 300 ms");
        }
    }

    @Test
    void aBodyThatTricklesInIsATimeoutToo() {
        fake.answerSlowly(scalar("1"), Duration.ofSeconds(3));
        try (PrometheusProvider impatient = provider(Map.of("default", endpoint(fake.address(), Duration.ofMillis(300))))) {
            assertThatThrownBy(() -> impatient.query("default", "up"))
                    .hasMessage("Prometheus 'default' at " + fake.address() + " did not answer within 300 ms");
        }
    }

    @Test
    void aStoppedPrometheusIsAConnectionError() throws IOException {
        String deadAddress;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadAddress = "http://127.0.0.1:" + socket.getLocalPort();
        }
        try (PrometheusProvider unreachable = provider(Map.of("default", endpoint(deadAddress)))) {
            assertThatThrownBy(() -> unreachable.query("default", "up"))
                    .hasMessage("cannot connect to Prometheus 'default' at " + deadAddress + ": connection refused");
        }
    }

    @Test
    void anOversizedAnswerIsRefused() {
        fake.answer(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[" + "x".repeat(5 << 20) + "]}}");

        assertThatThrownBy(() -> provider.query("default", "up"))
                .hasMessage("Prometheus 'default' answered with more than 4 MiB; aggregate the query to fewer series");
    }

    @Test
    void aBearerTokenIsReadFromTheSecretForEveryQuery() throws MeasurementException {
        fake.answer(200, scalar("1"));
        try (PrometheusProvider withToken = provider(Map.of("default",
                new Endpoint(fake.address(), Duration.ofSeconds(2), Optional.of("prom-token"), Optional.empty(), Optional.empty())))) {
            withToken.query("default", "up");
            assertThat(fake.lastRequest().authorization()).isEqualTo("Bearer " + TOKEN);

            secrets.put("sluice-system/prom-token/token", "rotated");
            withToken.query("default", "up");
            assertThat(fake.lastRequest().authorization()).isEqualTo("Bearer rotated");

            secrets.remove("sluice-system/prom-token/token");
            assertThatThrownBy(() -> withToken.query("default", "up")).hasMessage("Secret sluice-system/prom-token "
                    + "(bearer-token-secret of Prometheus 'default') does not exist or has no key 'token'");
        }
    }

    @Test
    void basicAuthIsReadFromTheSecret() throws MeasurementException {
        fake.answer(200, scalar("1"));
        try (PrometheusProvider withBasic = provider(Map.of("default",
                new Endpoint(fake.address(), Duration.ofSeconds(2), Optional.empty(), Optional.of("prom-basic"), Optional.empty())))) {
            withBasic.query("default", "up");
        }

        assertThat(fake.lastRequest().authorization())
                .isEqualTo("Basic " + Base64.getEncoder().encodeToString("sluice:pa:ss".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aMisconfiguredEndpointFailsItsQueriesOnlyAndShowsNoCredentials() throws MeasurementException {
        Map<String, SluiceConfig.Prometheus> endpoints = Map.of(
                "leaky", endpoint("http://admin:hunter2@prometheus:9090"),
                "both", new Endpoint(fake.address(), Duration.ofSeconds(2), Optional.of("a"), Optional.of("b"), Optional.empty()),
                "ftp", endpoint("ftp://prometheus"),
                "hasty", endpoint(fake.address(), Duration.ZERO),
                "default", endpoint(fake.address()));
        try (PrometheusProvider mixed = provider(endpoints)) {
            assertThatThrownBy(() -> mixed.query("leaky", "up")).hasMessage("Prometheus 'leaky' is misconfigured: "
                    + "address must not hold credentials; use bearer-token-secret or basic-auth-secret");
            assertThatThrownBy(() -> mixed.query("both", "up"))
                    .hasMessage("Prometheus 'both' is misconfigured: set bearer-token-secret or basic-auth-secret, not both");
            assertThatThrownBy(() -> mixed.query("ftp", "up"))
                    .hasMessage("Prometheus 'ftp' is misconfigured: address must start with http:// or https://");
            assertThatThrownBy(() -> mixed.query("hasty", "up"))
                    .hasMessage("Prometheus 'hasty' is misconfigured: timeout must be positive");
            fake.answer(200, scalar("1"));
            assertThat(mixed.query("default", "up")).isEqualTo(new QueryValue.Single(1));
        }
    }

    @Test
    void aMeasurementRendersArgsAndReadsTraffic() throws MeasurementException {
        fake.answer(query -> query.startsWith("sum(increase") ? scalar("120") : scalar("0.002"));
        Metric metric = metric("sum(rate(errors{app=\"{{args.app}}\"}[1m]))");
        metric.noData = new NoDataPolicy();
        metric.noData.trafficQuery = "sum(increase(requests{app=\"{{args.app}}\"}[1m]))";
        metric.noData.minTraffic = 20.0;

        Reading reading = provider.measure(metric, args(plainArg("app", "check\"out")));

        assertThat(reading).isEqualTo(new Reading.Taken(new QueryValue.Single(0.002), OptionalDouble.of(120)));
        assertThat(fake.requests()).extracting(r -> r.parameters().get("query")).containsExactly(
                "sum(rate(errors{app=\"check\\\"out\"}[1m]))", "sum(increase(requests{app=\"check\\\"out\"}[1m]))");
    }

    @Test
    void noDataSkipsTheTrafficQueryAndATrafficWithoutDataIsEmpty() throws MeasurementException {
        Metric metric = metric("errors");
        metric.noData = new NoDataPolicy();
        metric.noData.trafficQuery = "requests";

        fake.answer(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}");
        assertThat(provider.measure(metric, ResolvedArgs.none())).isEqualTo(Reading.Taken.of(new QueryValue.NoData("empty result")));
        assertThat(fake.requests()).hasSize(1);

        fake.answer(query -> query.equals("requests") ? scalar("NaN") : scalar("0.1"));
        assertThat(provider.measure(metric, ResolvedArgs.none())).isEqualTo(Reading.Taken.of(new QueryValue.Single(0.1)));
    }

    @Test
    void aTrafficQueryWithSeveralSeriesIsAnError() {
        Metric metric = metric("errors");
        metric.noData = new NoDataPolicy();
        metric.noData.trafficQuery = "requests";
        fake.answer(query -> query.equals("requests")
                ? "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
                + "{\"metric\":{\"a\":\"1\"},\"value\":[1,\"1\"]},{\"metric\":{\"a\":\"2\"},\"value\":[1,\"2\"]}]}}"
                : scalar("0.1"));

        assertThat(provider.measure(metric, ResolvedArgs.none())).isEqualTo(new Reading.Unavailable(
                "noData.trafficQuery returned 2 series; it must return one number, e.g. sum(increase(...[1m]))"));
    }

    @Test
    void aSecretArgInAQueryIsNeverSent() throws MeasurementException {
        fake.answer(query -> scalar("1"));
        Metric inQuery = metric("count(up{tenant=~\"{{args.tenant}}a.*\"})");
        Metric inTrafficQuery = metric("sum(up)");
        inTrafficQuery.noData = new NoDataPolicy();
        inTrafficQuery.noData.trafficQuery = "count(up{tenant=~\"{{args.tenant}}a.*\"})";
        inTrafficQuery.noData.minTraffic = 1.0;

        for (Metric metric : List.of(inQuery, inTrafficQuery)) {
            Reading reading = provider.measure(metric, args(secretArg("tenant", "tenant", "id")));
            assertThat(reading).isInstanceOf(Reading.Unavailable.class);
            assertThat(((Reading.Unavailable) reading).reason()).contains("arg 'tenant' comes from a Secret").doesNotContain("tenant-42");
        }
        assertThat(fake.requests()).extracting(FakePrometheus.Request::parameters)
                .allSatisfy(parameters -> assertThat(parameters.get("query")).doesNotContain("tenant-42"));
    }

    @Test
    void aSecretArgIsTheMetricsOwnBearerToken() throws MeasurementException {
        fake.answer(query -> scalar("0.001"));
        Metric metric = metric("sum(up)");
        metric.provider.prometheus.credentials = new PrometheusCredentials();
        metric.provider.prometheus.credentials.bearerTokenArg = "tenant";

        assertThat(provider.measure(metric, args(secretArg("tenant", "tenant", "id"))))
                .isEqualTo(Reading.Taken.of(new QueryValue.Single(0.001)));
        assertThat(fake.lastRequest().authorization()).isEqualTo("Bearer tenant-42");
    }

    @Test
    void basicAuthFromArgs() throws MeasurementException {
        fake.answer(query -> scalar("0.001"));
        Metric metric = metric("sum(up)");
        metric.provider.prometheus.credentials = new PrometheusCredentials();
        metric.provider.prometheus.credentials.usernameArg = "user";
        metric.provider.prometheus.credentials.passwordArg = "password";

        provider.measure(metric, args(plainArg("user", "team-a"), secretArg("password", "tenant", "id")));

        assertThat(fake.lastRequest().authorization())
                .isEqualTo("Basic " + Base64.getEncoder().encodeToString("team-a:tenant-42".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aMetricCannotReplaceTheOperatorsCredentials() throws MeasurementException {
        fake.answer(query -> scalar("0.001"));
        Metric metric = metric("sum(up)");
        metric.provider.prometheus.credentials = new PrometheusCredentials();
        metric.provider.prometheus.credentials.bearerTokenArg = "tenant";
        try (PrometheusProvider withToken = provider(Map.of("default",
                new Endpoint(fake.address(), Duration.ofSeconds(2), Optional.of("prom-token"), Optional.empty(), Optional.empty())))) {
            assertThat(withToken.measure(metric, args(secretArg("tenant", "tenant", "id")))).isEqualTo(new Reading.Unavailable(
                    "Prometheus 'default' authenticates with the operator's credentials (bearer-token-secret); "
                            + "a metric cannot send credentials of its own to it"));
        }
        assertThat(fake.requests()).isEmpty();
    }

    @Test
    void aRefusedTenantCredentialIsReportedWithoutItsValue() throws MeasurementException {
        // an authenticating proxy that quotes the token back in its error body
        fake.answer(400, query -> "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"unknown tenant tenant-42\"}");
        Metric metric = metric("sum(up)");
        metric.provider.prometheus.credentials = new PrometheusCredentials();
        metric.provider.prometheus.credentials.bearerTokenArg = "tenant";

        assertThat(provider.measure(metric, args(secretArg("tenant", "tenant", "id")))).isEqualTo(new Reading.Unavailable(
                "Prometheus 'default' refused the query (HTTP 400, bad_data): unknown tenant <redacted>"));

        fake.answer(401, "no");
        assertThat(provider.measure(metric, args(secretArg("tenant", "tenant", "id")))).isEqualTo(new Reading.Unavailable(
                "Prometheus 'default' refused the request (HTTP 401): check the credentials of the metric (provider.prometheus.credentials)"));
    }

    @Test
    void aBadTemplateIsAnUnavailableReading() {
        assertThat(provider.measure(metric("up{job=\"{{args.nope}}\"}"), ResolvedArgs.none()))
                .isEqualTo(new Reading.Unavailable("the query uses {{args.nope}}, but no arg 'nope' is declared (there are no args)"));
    }

    private ResolvedArgs args(AnalysisArg... args) throws MeasurementException {
        return new ArgResolver(lookup).resolve("shop", List.of(args));
    }

    private static AnalysisArg secretArg(String name, String secret, String key) {
        AnalysisArg arg = new AnalysisArg();
        arg.name = name;
        arg.valueFrom = new ArgValueFrom();
        arg.valueFrom.secretKeyRef = new SecretKeySelector();
        arg.valueFrom.secretKeyRef.name = secret;
        arg.valueFrom.secretKeyRef.key = key;
        return arg;
    }

    private static AnalysisArg plainArg(String name, String value) {
        AnalysisArg arg = new AnalysisArg();
        arg.name = name;
        arg.value = value;
        return arg;
    }

    static Metric metric(String query) {
        Metric metric = new Metric();
        metric.name = "error-rate";
        metric.successCondition = "result < 0.01";
        metric.provider = new MetricProvider();
        metric.provider.prometheus = new PrometheusMetric();
        metric.provider.prometheus.query = query;
        return metric;
    }

    private PrometheusProvider provider(Map<String, SluiceConfig.Prometheus> endpoints) {
        return new PrometheusProvider(endpoints, lookup, "sluice-system");
    }

    static Endpoint endpoint(String address) {
        return endpoint(address, Duration.ofSeconds(2));
    }

    static Endpoint endpoint(String address, Duration timeout) {
        return new Endpoint(address, timeout, Optional.empty(), Optional.empty(), Optional.empty());
    }

    private static String scalar(String value) {
        return "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1700000000,\"" + value + "\"]}}";
    }

    /** One endpoint's settings, as the operator's configuration would give them. */
    record Endpoint(String address, Duration timeout, Optional<String> bearerTokenSecret, Optional<String> basicAuthSecret,
            Optional<Path> caFile) implements SluiceConfig.Prometheus {
    }

    /** Answers {@code /api/v1/query} as told and records each request. */
    static final class FakePrometheus implements AutoCloseable {
        record Request(String method, String path, Map<String, String> parameters, String authorization) {
        }

        /** {@code delay} before the headers, {@code stall} between the headers and the rest of the body. */
        private record Answer(int status, String body, Duration delay, Duration stall) {
        }

        private final HttpServer server;
        private final ConcurrentLinkedQueue<Request> requests = new ConcurrentLinkedQueue<>();
        private volatile Function<String, Answer> answers =
                query -> new Answer(500, "not told what to answer", Duration.ZERO, Duration.ZERO);

        FakePrometheus() {
            try {
                server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            server.setExecutor(Executors.newCachedThreadPool(Thread.ofPlatform().daemon().factory()));
            server.createContext("/", this::handle);
        }

        void start() {
            server.start();
        }

        String address() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        void answer(int status, String body) {
            answer(status, body, Duration.ZERO);
        }

        void answer(int status, String body, Duration delay) {
            answers = query -> new Answer(status, body, delay, Duration.ZERO);
        }

        /** Sends the headers and the first byte of the body at once, the rest after {@code stall}. */
        void answerSlowly(String body, Duration stall) {
            answers = query -> new Answer(200, body, Duration.ZERO, stall);
        }

        /** A successful answer that depends on the query. */
        void answer(Function<String, String> bodyForQuery) {
            answer(200, bodyForQuery);
        }

        void answer(int status, Function<String, String> bodyForQuery) {
            answers = query -> new Answer(status, bodyForQuery.apply(query), Duration.ZERO, Duration.ZERO);
        }

        List<Request> requests() {
            return List.copyOf(requests);
        }

        Request lastRequest() {
            return requests().getLast();
        }

        @Override
        public void close() {
            server.stop(0);
            ((ExecutorService) server.getExecutor()).shutdownNow();
        }

        private void handle(HttpExchange exchange) throws IOException {
            try (exchange) {
                URI uri = exchange.getRequestURI();
                Map<String, String> parameters = new HashMap<>();
                for (String pair : Optional.ofNullable(uri.getRawQuery()).orElse("").split("&")) {
                    int eq = pair.indexOf('=');
                    if (eq > 0) {
                        parameters.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                    }
                }
                requests.add(new Request(exchange.getRequestMethod(), uri.getPath(), parameters,
                        exchange.getRequestHeaders().getFirst("Authorization")));
                Answer answer = answers.apply(parameters.getOrDefault("query", ""));
                Thread.sleep(answer.delay());
                byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(answer.status(), body.length);
                exchange.getResponseBody().write(body, 0, 1);
                exchange.getResponseBody().flush();
                Thread.sleep(answer.stall());
                exchange.getResponseBody().write(body, 1, body.length - 1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                // the client gave up (a timeout test): nothing to answer
            }
        }
    }
}
