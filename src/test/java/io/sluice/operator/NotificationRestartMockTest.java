package io.sluice.operator;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.NotificationTarget;
import io.sluice.api.v1alpha1.Pause;
import io.sluice.api.v1alpha1.PendingNotification;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.SecretKeySelector;
import io.sluice.core.RolloutFixtures;
import io.sluice.notify.StatusPendingStore;
import io.sluice.notify.webhook.WebhookNotifier;
import io.sluice.traffic.istio.IstioTrafficRouter;
import io.sluice.sandbox.SandboxDeploymentController;
import io.sluice.source.jgit.JGitSource;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.testing.kube.MockKubeApi;
import io.sluice.testing.time.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A notification that could not be delivered before the operator stopped is not lost: it is recorded in
 * the Rollout's status, and the next operator sends it once, with the same id, then clears it.
 */
class NotificationRestartMockTest {
    private static final String NAMESPACE = "notify-restart";

    @RegisterExtension
    static final MockKubeApi API = MockKubeApi.start();

    @TempDir
    Path caches;

    @Test
    void aNotificationPendingWhenTheOperatorStopsIsSentOnceWithTheSameIdAfterARestart() throws Exception {
        KubernetesClient client = API.client();
        MutableClock clock = new MutableClock();
        AtomicBoolean down = new AtomicBoolean(true);
        AtomicInteger refused = new AtomicInteger();
        List<String> delivered = new CopyOnWriteArrayList<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            if (down.get()) {
                refused.incrementAndGet();
                exchange.sendResponseHeaders(503, -1);
            } else {
                delivered.add(body);
                exchange.sendResponseHeaders(204, -1);
            }
            exchange.close();
        });
        receiver.start();
        List<WebhookNotifier> notifiers = new CopyOnWriteArrayList<>();
        try (GitRepoFixture repo = GitRepoFixture.create();
             SandboxDeploymentController deployments = new SandboxDeploymentController(client, NAMESPACE)) {
            RolloutFixtures.createAnalysisTemplate(client, NAMESPACE);
            client.secrets().inNamespace(NAMESPACE).resource(new SecretBuilder().withNewMetadata().withName("hooks").endMetadata()
                    .withStringData(Map.of("url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook"))
                    .build()).create();
            repo.commit("v1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
            Rollout rollout = RolloutFixtures.checkout(repo.fileUrl());
            rollout.getMetadata().setNamespace(NAMESPACE);
            rollout.getMetadata().setGeneration(null);
            CanaryStep hold = new CanaryStep();
            hold.pause = new Pause();
            rollout.getSpec().strategy.canary.steps = List.of(CanaryStep.weight(10), hold);
            NotificationTarget target = new NotificationTarget();
            target.type = "webhook";
            target.urlSecretRef = new SecretKeySelector();
            target.urlSecretRef.name = "hooks";
            target.urlSecretRef.key = "url";
            rollout.getSpec().notifications = List.of(target);
            client.resource(rollout).create();

            // The first operator: the receiver is down while the canary starts, so nothing gets through.
            RolloutReconciler first = operator(client, clock, "first", notifiers);
            for (int i = 0; i < 4; i++) {
                reconcile(client, first);
            }
            repo.commit("v2", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
            clock.advance(Duration.ofMinutes(1));
            for (int i = 0; i < 4; i++) {
                reconcile(client, first);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> refused.get() >= 2);
            List<PendingNotification> pending = await().atMost(Duration.ofSeconds(10)).until(
                    () -> pendingOf(client), p -> p != null && p.stream().anyMatch(n -> "Started".equals(n.kind)));
            assertThat(pending).allSatisfy(p -> {
                assertThat(p.destination).isEqualTo("secret:hooks/url").doesNotContain("127.0.0.1");
                assertThat(p.id).isNotBlank();
            });
            List<String> ids = pending.stream().map(p -> p.id).distinct().toList();
            assertThat(delivered).isEmpty();

            // The operator stops (its retries die with it); the receiver comes back; a new operator starts.
            notifiers.getFirst().close();
            down.set(false);
            RolloutReconciler second = operator(client, clock, "second", notifiers);
            reconcile(client, second);

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(idsOf(delivered)).containsAll(ids));
            await().atMost(Duration.ofSeconds(10)).until(() -> pendingOf(client) == null);
            assertThat(delivered).anySatisfy(b -> assertThat(b).contains("\"kind\":\"Started\""));

            // Later reconciles, and yet another operator, send none of them again.
            reconcile(client, second);
            RolloutReconciler third = operator(client, clock, "third", notifiers);
            reconcile(client, third);
            Thread.sleep(1000);
            assertThat(idsOf(delivered)).as("each pending notification delivered exactly once").doesNotHaveDuplicates();
        } finally {
            notifiers.forEach(WebhookNotifier::close);
            receiver.stop(0);
        }
    }

    private RolloutReconciler operator(KubernetesClient client, MutableClock clock, String name, List<WebhookNotifier> notifiers) {
        var config = TestConfig.of(caches.resolve(name));
        WebhookNotifier notifier = new WebhookNotifier(new WebhookNotifier.Settings(6, Duration.ofMillis(200),
                Duration.ofSeconds(1), Duration.ofMinutes(15), Duration.ofSeconds(1), Duration.ofSeconds(2), 100, 10),
                new StatusPendingStore(client), clock, new SimpleMeterRegistry());
        notifiers.add(notifier);
        JGitSource git = new JGitSource(config, clock, new SimpleMeterRegistry());
        IstioTrafficRouter router = new IstioTrafficRouter(client);
        return new RolloutReconciler(client, git, new StatusWriter(client), new EventRecorder(client, clock),
                new DeliveryExecutor(client, new ClusterObjects(client), router), new TrafficBrake(client, router),
                new RepositoryPoller(git, clock), new RolloutMetrics(new SimpleMeterRegistry()), notifier, config, clock);
    }

    private static void reconcile(KubernetesClient client, RolloutReconciler reconciler) {
        Rollout current = client.resources(Rollout.class).inNamespace(NAMESPACE).withName("checkout").get();
        reconciler.reconcile(current, null);
        await().atMost(Duration.ofSeconds(10)).until(() -> client.apps().deployments().inNamespace(NAMESPACE).list().getItems()
                .stream().allMatch(d -> d.getStatus() != null && d.getStatus().getObservedGeneration() != null
                        && d.getStatus().getObservedGeneration() >= d.getMetadata().getGeneration()));
    }

    private static List<PendingNotification> pendingOf(KubernetesClient client) {
        Rollout r = client.resources(Rollout.class).inNamespace(NAMESPACE).withName("checkout").get();
        return r.getStatus() == null ? null : r.getStatus().pendingNotifications;
    }

    private static List<String> idsOf(List<String> bodies) {
        Pattern id = Pattern.compile("\"id\":\"([^\"]+)\"");
        return bodies.stream().map(b -> {
            Matcher m = id.matcher(b);
            return m.find() ? m.group(1) : "<none>";
        }).toList();
    }
}
