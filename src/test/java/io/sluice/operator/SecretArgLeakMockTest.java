package io.sluice.operator;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.analysis.prometheus.PrometheusProvider;
import io.sluice.api.v1alpha1.AnalysisPhase;
import io.sluice.api.v1alpha1.AnalysisRun;
import io.sluice.config.SluiceConfig;
import io.sluice.testing.kube.MockKubeApi;
import io.sluice.testing.time.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 11.4: a Secret-valued analysis arg must never reach a query the tenant writes, because the
 * query's answer is the tenant's to read (the issue recovered a Secret in 156 measurements with
 * regex-prefix queries such as {@code up{x=~"{{args.token}}a.*"}}). It may only be the credential
 * the operator sends to a configured Prometheus, whose answer reveals nothing of it.
 */
class SecretArgLeakMockTest {
    private static final String SECRET = "s3cr3t-value-9f2c";

    @RegisterExtension
    static final MockKubeApi API = MockKubeApi.start();

    @TempDir
    Path cache;

    private final KubernetesClient client = API.client();
    private final MutableClock clock = new MutableClock();
    private final ConcurrentLinkedQueue<String[]> requests = new ConcurrentLinkedQueue<>(); // {query, authorization}
    private HttpServer prometheus;
    private PrometheusProvider provider;

    @BeforeEach
    void start() throws IOException {
        prometheus = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        prometheus.createContext("/", exchange -> {
            try (exchange) {
                String raw = exchange.getRequestURI().getRawQuery();
                String query = raw == null ? "" : URLDecoder.decode(raw, StandardCharsets.UTF_8);
                requests.add(new String[] {query, exchange.getRequestHeaders().getFirst("Authorization")});
                byte[] body = "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1700000000,\"0.001\"]}}"
                        .getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
        });
        prometheus.start();
        provider = new PrometheusProvider(Map.of("default", new Endpoint(
                "http://127.0.0.1:" + prometheus.getAddress().getPort(), Duration.ofSeconds(2))), (ns, n, k) -> Optional.empty(),
                "sluice-system");
        client.resource(new SecretBuilder().withNewMetadata().withName("tenant-token").withNamespace("leak").endMetadata()
                .withStringData(Map.of("token", SECRET)).build())
                .createOr(io.fabric8.kubernetes.client.dsl.NonDeletingOperation::update);
    }

    @AfterEach
    void stop() {
        provider.close();
        prometheus.stop(0);
    }

    @Test
    void aSecretArgInAQueryIsRefusedBeforeAnyQueryIsSent() {
        AnalysisRunReconciler analyses = reconciler();
        for (String field : List.of("query", "trafficQuery")) {
            String query = "count(up{instance=~\\\"{{args.token}}a.*\\\"})";
            String metric = field.equals("query")
                    ? "provider: {prometheus: {query: \"" + query + "\"}}"
                    : "provider: {prometheus: {query: \"sum(up)\"}}\n    noData: {trafficQuery: \"" + query + "\", minTraffic: 1}";
            AnalysisRun run = create("probe-" + field.toLowerCase(), metric, "");

            analyses.reconcile(client.resource(run).get(), null);

            assertThat(requests).as("no query may carry the Secret's value, nor be sent at all").isEmpty();
            AnalysisRun judged = client.resource(run).get();
            assertThat(judged.getStatus().phase).as(field).isEqualTo(AnalysisPhase.Error);
            assertThat(judged.getStatus().message).as(field)
                    .contains("InvalidSpec", "arg 'token'", "Secret", "error-rate", field.equals("query")
                            ? "provider.prometheus.query" : "noData.trafficQuery")
                    .doesNotContain(SECRET);
            assertThat(judged.getStatus().metricResults == null || judged.getStatus().metricResults.stream()
                    .allMatch(r -> r.measurements == null || r.measurements.isEmpty()))
                    .as("refused before any measurement").isTrue();
        }
    }

    @Test
    void aSecretArgAsTheMetricsCredentialIsSentAndNeverShown() {
        AnalysisRunReconciler analyses = reconciler();
        AnalysisRun run = create("as-credential",
                "provider: {prometheus: {query: \"sum(up)\", credentials: {bearerTokenArg: token}}}", "");

        analyses.reconcile(client.resource(run).get(), null);

        assertThat(requests).as("one measurement").hasSize(1);
        String[] request = requests.peek();
        assertThat(request[1]).as("the request carries the Secret as its credential").isEqualTo("Bearer " + SECRET);
        assertThat(request[0]).doesNotContain(SECRET);
        AnalysisRun judged = client.resource(run).get();
        assertThat(judged.getStatus().metricResults.getFirst().measurements).hasSize(1);
        assertThat(judged.getStatus().metricResults.getFirst().measurements.getFirst().phase).isEqualTo(AnalysisPhase.Successful);
        assertThat(client.getKubernetesSerialization().asYaml(judged)).as("status and spec").doesNotContain(SECRET);
        assertThat(client.getKubernetesSerialization().asYaml(client.v1().events().inNamespace("leak").list()))
                .as("events").doesNotContain(SECRET);
    }

    private AnalysisRunReconciler reconciler() {
        ManualOperator operator = new ManualOperator(client, clock, cache);
        return new AnalysisRunReconciler(client, new StatusWriter(client), provider, new ClusterSecrets(client),
                new RolloutMetrics(new SimpleMeterRegistry()), operator.brake, TestConfig.of(cache), clock);
    }

    private AnalysisRun create(String name, String provider, String unused) {
        return client.resource(client.getKubernetesSerialization().unmarshal("""
                apiVersion: sluice.io/v1alpha1
                kind: AnalysisRun
                metadata: {name: %s, namespace: leak}
                spec:
                  args:
                  - name: token
                    valueFrom: {secretKeyRef: {name: tenant-token, key: token}}
                  metrics:
                  - name: error-rate
                    interval: 10s
                    count: 3
                    successCondition: result < 0.01
                    %s
                """.formatted(name, provider), AnalysisRun.class)).create();
    }

    /** One endpoint without operator credentials, as a multi-tenant gateway would be configured. */
    record Endpoint(String address, Duration timeout) implements SluiceConfig.Prometheus {
        @Override
        public Optional<String> bearerTokenSecret() {
            return Optional.empty();
        }

        @Override
        public Optional<String> basicAuthSecret() {
            return Optional.empty();
        }

        @Override
        public Optional<Path> caFile() {
            return Optional.empty();
        }
    }
}
