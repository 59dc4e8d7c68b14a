package io.sluice.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.analysis.QueryValue;
import io.sluice.analysis.Reading;
import io.sluice.api.v1alpha1.AnalysisPhase;
import io.sluice.api.v1alpha1.AnalysisRun;
import io.sluice.api.v1alpha1.MetricResult;
import io.sluice.testing.kube.MockKubeApi;
import io.sluice.testing.time.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An analysis stopped before it has finished (promotion ends a background run, promote skips an
 * analysis step, a newer commit replaces the canary) has not passed: it is Inconclusive, keeps what
 * it measured, and is never counted as a success.
 */
class TerminatedAnalysisMockTest {
    @RegisterExtension
    static final MockKubeApi API = MockKubeApi.start();

    @TempDir
    Path cache;

    private final KubernetesClient client = API.client();
    private final MutableClock clock = new MutableClock();

    @Test
    void anAnalysisTerminatedBeforeItFinishesIsInconclusiveNotSuccessful() {
        ManualOperator operator = new ManualOperator(client, clock, cache);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        var analyses = new AnalysisRunReconciler(client, new StatusWriter(client),
                (metric, args) -> Reading.Taken.of(new QueryValue.Single(0.001)), new ClusterSecrets(client),
                new RolloutMetrics(registry), operator.brake, TestConfig.of(cache), clock);
        AnalysisRun run = client.resource(client.getKubernetesSerialization().unmarshal("""
                apiVersion: sluice.io/v1alpha1
                kind: AnalysisRun
                metadata: {name: checkout-bg, namespace: terminated}
                spec:
                  metrics:
                  - name: error-rate
                    interval: 10s
                    count: 100
                    successCondition: result < 0.01
                    provider: {prometheus: {query: "sum(rate(errors[1m]))"}}
                """, AnalysisRun.class)).create();

        for (int i = 0; i < 3; i++) { // three passing measurements of the hundred
            analyses.reconcile(client.resource(run).get(), null);
            clock.advance(Duration.ofSeconds(10));
        }
        AnalysisRun measuring = client.resource(run).get();
        assertThat(measuring.getStatus().phase).isEqualTo(AnalysisPhase.Running);
        assertThat(measuring.getStatus().metricResults.getFirst().successful).isEqualTo(3);

        measuring.getSpec().terminate = true;
        client.resource(measuring).update();
        analyses.reconcile(client.resource(run).get(), null);

        AnalysisRun stopped = client.resource(run).get();
        assertThat(stopped.getStatus().phase).as("a run stopped after 3 of 100 measurements")
                .isEqualTo(AnalysisPhase.Inconclusive);
        assertThat(stopped.getStatus().message).startsWith("terminated").contains("3 of 100");
        MetricResult result = stopped.getStatus().metricResults.getFirst();
        assertThat(result.phase).isEqualTo(AnalysisPhase.Inconclusive);
        assertThat(result.measurements).as("what was measured is kept").hasSize(3);
        assertThat(registry.get("sluice.analysis.runs").tag("phase", "Successful").counter().count())
                .as("never counted as a success").isZero();
        assertThat(registry.get("sluice.analysis.runs").tag("phase", "Inconclusive").counter().count()).isEqualTo(1);
    }

    @Test
    void anAnalysisRunWithoutMetricsIsAnErrorNotACrashNorASuccess() {
        ManualOperator operator = new ManualOperator(client, clock, cache);
        var analyses = new AnalysisRunReconciler(client, new StatusWriter(client),
                (metric, args) -> Reading.Taken.of(new QueryValue.Single(0.001)), new ClusterSecrets(client),
                new RolloutMetrics(new SimpleMeterRegistry()), operator.brake, TestConfig.of(cache), clock);
        for (String spec : java.util.List.of("{}", "{metrics: []}")) {
            String name = spec.equals("{}") ? "no-metrics" : "empty-metrics";
            // The CRD forbids such a run: created through a lax client, as a lax API server would keep it.
            AnalysisRun run = io.sluice.testing.kube.MockKubeApi.laxClient(client).resource(client.getKubernetesSerialization().unmarshal("""
                    apiVersion: sluice.io/v1alpha1
                    kind: AnalysisRun
                    metadata: {name: %s, namespace: terminated}
                    spec: %s
                    """.formatted(name, spec), AnalysisRun.class)).create();
            analyses.reconcile(client.resource(run).get(), null);
            AnalysisRun judged = client.resource(run).get();
            assertThat(judged.getStatus().phase).as(name).isEqualTo(AnalysisPhase.Error);
            assertThat(judged.getStatus().message).contains("no metrics");
        }
    }
}
