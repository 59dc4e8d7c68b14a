package io.sluice.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.Pause;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.core.RolloutFixtures;
import io.sluice.demo.dataplane.HAProxyFixture;
import io.sluice.demo.dataplane.LoadGenerator;
import io.sluice.demo.dataplane.TestBackend;
import io.sluice.demo.dataplane.VirtualServiceBridge;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.sandbox.SandboxDeploymentController;
import io.sluice.testing.kube.OperatorOnMockApi;
import io.sluice.demo.prometheus.PrometheusFixture;
import io.sluice.demo.prometheus.ScrapeJob;
import io.sluice.testing.ClassScopedServices;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static io.sluice.demo.dataplane.HAProxyFixture.CANARY;
import static io.sluice.demo.dataplane.HAProxyFixture.STABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/**
 * The whole loop on a real data plane: a commit in Git, the operator (on the mock API) writing the
 * VirtualService step by step, a bridge applying its weights to a real HAProxy carrying real
 * traffic to two backends, and a real Prometheus measuring the canary's share at each step.
 */
@QuarkusTest
@QuarkusTestResource(OperatorOnMockApi.class)
class CanaryTrafficEndToEndIT {
    private static final String NAMESPACE = "e2e";
    private static final int RPS = 100;

    static final TestBackend stableBackend = new TestBackend(STABLE);
    static final TestBackend canaryBackend = new TestBackend(CANARY);
    static final HAProxyFixture haproxy = new HAProxyFixture(stableBackend.hostPort(), canaryBackend.hostPort());
    static final PrometheusFixture prometheus =
            new PrometheusFixture(List.of(ScrapeJob.of("haproxy", "/metrics", haproxy.metricsTarget())));

    @RegisterExtension
    @Order(1)
    static final ClassScopedServices services = ClassScopedServices.of(stableBackend, canaryBackend, haproxy, prometheus);

    @Inject
    KubernetesClient client;

    @Test
    void theCanaryShareMeasuredInPrometheusFollowsEachStep() throws Exception {
        List<String> measured = new ArrayList<>();
        try (GitRepoFixture repo = GitRepoFixture.create();
             SandboxDeploymentController deployments = new SandboxDeploymentController(client, NAMESPACE);
             VirtualServiceBridge bridge = new VirtualServiceBridge(client, NAMESPACE, "checkout", "primary",
                     VirtualServiceBridge.Versions.byHost("checkout-stable", "checkout-canary"), haproxy)) {
            RolloutFixtures.createAnalysisTemplate(client, NAMESPACE);
            repo.commit("checkout 1.0", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
            Rollout rollout = RolloutFixtures.checkout(repo.fileUrl());
            rollout.getMetadata().setNamespace(NAMESPACE);
            rollout.getMetadata().setGeneration(null);
            rollout.getSpec().source.git.interval = "1s";
            CanaryStep hold = new CanaryStep();
            hold.pause = new Pause();
            rollout.getSpec().strategy.canary.steps = List.of(CanaryStep.weight(10), hold, CanaryStep.weight(50), hold);
            client.resource(rollout).create();
            bridge.start();
            awaitPhase(RolloutPhase.Healthy);

            repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
            awaitPhase(RolloutPhase.Paused);
            measured.add(measureAt(bridge, 10, 22));

            requestPromotion("p1");
            await().atMost(Duration.ofSeconds(30)).until(() -> get().getStatus().currentStepIndex == 3
                    && get().getStatus().phase == RolloutPhase.Paused);
            measured.add(measureAt(bridge, 50, 22));

            requestPromotion("p2");
            awaitPhase(RolloutPhase.Healthy);
            measured.add(measureAt(bridge, 0, 8));
        }
        System.out.println("canary share per step: " + measured);
    }

    /** Waits for HAProxy to carry the weight, sends load, and checks the share Prometheus measured. */
    private String measureAt(VirtualServiceBridge bridge, int canaryWeight, int loadSeconds) throws Exception {
        bridge.awaitCanaryPercent(canaryWeight, Duration.ofSeconds(20));
        assertThat(haproxy.weight(CANARY)).isEqualTo(canaryWeight);
        LoadGenerator.LoadStats load;
        try (LoadGenerator generator = new LoadGenerator(haproxy.trafficUrl(), RPS, Duration.ofSeconds(loadSeconds),
                RPS * (long) loadSeconds).start()) {
            load = generator.awaitFinished();
        }
        prometheus.awaitScrapedAfter(Instant.now());
        String window = "[" + (loadSeconds - 2) + "s]";
        var share = prometheus.query("sum(rate(haproxy_server_http_responses_total{proxy=\"app\",server=\"canary\"}" + window
                + ")) / sum(rate(haproxy_server_http_responses_total{proxy=\"app\"}" + window + "))");
        assertThat(load.responses(200)).as("%s", load).isEqualTo(load.sent());
        assertThat(share.singleValue()).as("canary share at weight %d: %s", canaryWeight, share)
                .hasValueCloseTo(canaryWeight / 100.0, within(0.03));
        return canaryWeight + "% -> " + String.format("%.4f", share.singleValue().getAsDouble());
    }

    private Rollout get() {
        return client.resources(Rollout.class).inNamespace(NAMESPACE).withName("checkout").get();
    }

    private void awaitPhase(RolloutPhase phase) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(get().getStatus()).isNotNull()
                .extracting(s -> s.phase).isEqualTo(phase));
    }

    private void requestPromotion(String id) {
        RolloutFixtures.editRollout(client, NAMESPACE, "checkout", r -> {
            r.getSpec().promote = RolloutFixtures.promote(id, false);
        });
    }

}
