package io.sluice.operator;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.NotificationTarget;
import io.sluice.api.v1alpha1.Pause;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.api.v1alpha1.SecretKeySelector;
import io.sluice.core.RolloutFixtures;
import io.sluice.sandbox.SandboxDeploymentController;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.testing.kube.OperatorOnMockApi;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A Rollout's notifications reach a JSON webhook and a Slack-style one, retried when the receiver fails. */
@QuarkusTest
@QuarkusTestResource(OperatorOnMockApi.class)
class NotificationsMockTest {
    private static final String NAMESPACE = "notified";

    @Inject
    KubernetesClient client;

    @Test
    void eventsArePostedAsJsonAndAsSlackMessagesAndRetriedAfterAFailure() throws Exception {
        List<String> webhook = new CopyOnWriteArrayList<>();
        List<String> slack = new CopyOnWriteArrayList<>();
        AtomicInteger webhookFailuresLeft = new AtomicInteger(2);
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            boolean fail = webhookFailuresLeft.getAndDecrement() > 0;
            if (!fail) {
                webhook.add(body);
            }
            exchange.sendResponseHeaders(fail ? 500 : 204, -1);
            exchange.close();
        });
        receiver.createContext("/slack", exchange -> {
            slack.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        String base = "http://127.0.0.1:" + receiver.getAddress().getPort();
        try (GitRepoFixture repo = GitRepoFixture.create();
             SandboxDeploymentController deployments = new SandboxDeploymentController(client, NAMESPACE)) {
            RolloutFixtures.createAnalysisTemplate(client, NAMESPACE);
            client.secrets().inNamespace(NAMESPACE).resource(new SecretBuilder().withNewMetadata().withName("hooks").endMetadata()
                    .withStringData(Map.of("url", base + "/hook", "slack", base + "/slack",
                            "metadata", "http://169.254.169.254/latest/meta-data")).build()).create();
            repo.commit("checkout 1.0", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
            Rollout rollout = RolloutFixtures.checkout(repo.fileUrl());
            rollout.getMetadata().setNamespace(NAMESPACE);
            rollout.getMetadata().setGeneration(null);
            rollout.getSpec().source.git.interval = "1s";
            CanaryStep hold = new CanaryStep();
            hold.pause = new Pause();
            rollout.getSpec().strategy.canary.steps = List.of(CanaryStep.weight(10), hold);
            rollout.getSpec().notifications = List.of(target("webhook", "url", null), target("slack", "slack", List.of("Promoted")),
                    target("webhook", "metadata", null));
            client.resource(rollout).create();
            await().atMost(Duration.ofSeconds(30)).until(() -> phase() == RolloutPhase.Healthy);

            repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
            await().atMost(Duration.ofSeconds(30)).until(() -> phase() == RolloutPhase.Paused);
            RolloutFixtures.editRollout(client, NAMESPACE, "checkout", r -> {
                r.getSpec().promote = RolloutFixtures.promote("go", false);
            });
            await().atMost(Duration.ofSeconds(30)).until(() -> phase() == RolloutPhase.Healthy);

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(webhook).anySatisfy(b -> assertThat(b).contains("\"kind\":\"Started\"").contains("\"rollout\":\"checkout\""));
                assertThat(webhook).anySatisfy(b -> assertThat(b).contains("\"kind\":\"StepCompleted\"").contains("\"canaryWeight\":10"));
                assertThat(webhook).anySatisfy(b -> assertThat(b).contains("\"kind\":\"Paused\""));
                assertThat(webhook).anySatisfy(b -> assertThat(b).contains("\"kind\":\"Promoted\"").contains("\"reason\":\"Promoted\""));
                assertThat(slack).singleElement().satisfies(b -> assertThat(b).startsWith("{\"text\":")
                        .contains("notified/checkout").contains("Promoted"));
            });
            assertThat(webhookFailuresLeft.get()).as("the receiver's two failures were retried").isNegative();
            assertThat(client.v1().events().inNamespace(NAMESPACE).list().getItems())
                    .filteredOn(e -> "NotificationUrlNotAllowed".equals(e.getReason())).isNotEmpty()
                    .allSatisfy(e -> assertThat(e.getMessage()).contains("Secret hooks (key metadata)", "link-local or metadata")
                            .doesNotContain("169.254.169.254"));
        } finally {
            receiver.stop(0);
        }
    }

    private static NotificationTarget target(String type, String key, List<String> on) {
        NotificationTarget target = new NotificationTarget();
        target.type = type;
        target.urlSecretRef = new SecretKeySelector();
        target.urlSecretRef.name = "hooks";
        target.urlSecretRef.key = key;
        target.on = on;
        return target;
    }

    private RolloutPhase phase() {
        Rollout r = client.resources(Rollout.class).inNamespace(NAMESPACE).withName("checkout").get();
        return r == null || r.getStatus() == null ? null : r.getStatus().phase;
    }
}
