package io.sluice.operator;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.Pause;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.core.RolloutFixtures;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.sandbox.SandboxDeploymentController;
import io.sluice.testing.kube.MockKubeApi;
import io.sluice.testing.time.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Restart safety: the same release is driven twice through the same script, once by one operator
 * and once by a brand-new operator for every single reconcile (new objects, an empty Git cache:
 * all that survives is what the API holds). Both must take exactly the same steps.
 */
class RestartSafetyMockTest {
    @RegisterExtension
    static final MockKubeApi API = MockKubeApi.start();

    @TempDir
    Path caches;

    @Test
    void anOperatorRestartedBeforeEveryReconcileTakesExactlyTheSameSteps() {
        List<String> oneOperator = release("steady", false);
        List<String> restartedEachTime = release("restarted", true);

        assertThat(restartedEachTime).isEqualTo(oneOperator);
        assertThat(oneOperator.getLast()).as("the aborted canary was scaled down after the delay")
                .endsWith("canary=checkout:1.2x0").contains("stable=checkout:1.1x1");
        assertThat(oneOperator.stream().map(line -> line.substring(0, line.indexOf(" |"))))
                .as("the script really walked the steps")
                .contains("Progressing step=1 weight=5", "Paused step=3 weight=50", "Healthy step=null weight=0",
                        "Aborted step=1 weight=0");
    }

    /** Runs one scripted release and returns what an observer saw after each reconcile. */
    private List<String> release(String namespace, boolean restartEveryTime) {
        KubernetesClient client = API.client();
        MutableClock clock = new MutableClock();
        List<String> seen = new ArrayList<>();
        try (GitRepoFixture repo = GitRepoFixture.create();
             SandboxDeploymentController deployments = new SandboxDeploymentController(client, namespace)) {
            RolloutFixtures.createAnalysisTemplate(client, namespace);
            repo.commit("v1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
            Rollout rollout = RolloutFixtures.checkout(repo.fileUrl());
            rollout.getMetadata().setNamespace(namespace);
            rollout.getMetadata().setGeneration(null);
            CanaryStep timed = new CanaryStep();
            timed.pause = new Pause();
            timed.pause.duration = "1m";
            CanaryStep indefinite = new CanaryStep();
            indefinite.pause = new Pause();
            rollout.getSpec().strategy.canary.steps = List.of(CanaryStep.weight(5), timed, CanaryStep.weight(50), indefinite);
            client.resource(rollout).create();

            ManualOperator operator = new ManualOperator(client, clock, caches.resolve(namespace + "-0"));
            Runnable reconcile = new Runnable() {
                int instance = 0;

                @Override
                public void run() {
                    ManualOperator op = restartEveryTime ? new ManualOperator(client, clock, caches.resolve(namespace + "-" + ++instance)) : operator;
                    Rollout current = client.resources(Rollout.class).inNamespace(namespace).withName("checkout").get();
                    op.reconciler.reconcile(current, null);
                    awaitDeploymentsSettled(client, namespace);
                    seen.add(observe(client, namespace));
                }
            };
            Consumer<Integer> reconcileTimes = n -> {
                for (int i = 0; i < n; i++) {
                    reconcile.run();
                }
            };

            reconcileTimes.accept(4);                       // first revision to stable
            repo.commit("v2", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
            clock.advance(Duration.ofMinutes(1));           // the poll interval passes
            reconcileTimes.accept(4);                       // canary, 5%, pause starts
            clock.advance(Duration.ofMinutes(1));
            reconcileTimes.accept(4);                       // pause ends, 50%, indefinite pause
            edit(client, namespace, r -> r.getSpec().promote = RolloutFixtures.promote("p1", false));
            reconcileTimes.accept(6);                       // promotion
            repo.commit("v3", RolloutFixtures.checkoutManifestsInRepo("checkout:1.2"));
            clock.advance(Duration.ofMinutes(1));
            reconcileTimes.accept(3);
            edit(client, namespace, r -> r.getSpec().abort = RolloutFixtures.request("a1"));
            reconcileTimes.accept(3);                       // aborted
            clock.advance(Duration.ofSeconds(31));
            reconcileTimes.accept(3);                       // canary scaled down after the delay
        }
        return seen;
    }

    /** What a person watching would see: phase, step and weight, the VirtualService and the images. */
    @SuppressWarnings("unchecked")
    private static String observe(KubernetesClient client, String namespace) {
        Rollout r = client.resources(Rollout.class).inNamespace(namespace).withName("checkout").get();
        GenericKubernetesResource vs = client.genericKubernetesResources("networking.istio.io/v1", "VirtualService")
                .inNamespace(namespace).withName("checkout").get();
        Object route = vs == null ? null
                : ((List<Map<String, Object>>) ((Map<String, Object>) vs.getAdditionalProperties().get("spec")).get("http")).getFirst().get("route");
        var stable = client.apps().deployments().inNamespace(namespace).withName("checkout-stable").get();
        var canary = client.apps().deployments().inNamespace(namespace).withName("checkout-canary").get();
        return r.getStatus().phase + " step=" + r.getStatus().currentStepIndex + " weight=" + r.getStatus().canaryWeight
                + " | route=" + route
                + " | stable=" + (stable == null ? "-" : stable.getSpec().getTemplate().getSpec().getContainers().getFirst().getImage()
                        + "x" + stable.getSpec().getReplicas())
                + " | canary=" + (canary == null ? "-" : canary.getSpec().getTemplate().getSpec().getContainers().getFirst().getImage()
                        + "x" + canary.getSpec().getReplicas());
    }

    private static void awaitDeploymentsSettled(KubernetesClient client, String namespace) {
        await().atMost(Duration.ofSeconds(10)).until(() -> client.apps().deployments().inNamespace(namespace).list().getItems()
                .stream().allMatch(d -> d.getStatus() != null && d.getStatus().getObservedGeneration() != null
                        && d.getStatus().getObservedGeneration() >= d.getMetadata().getGeneration()));
    }

    private static void edit(KubernetesClient client, String namespace, Consumer<Rollout> change) {
        RolloutFixtures.editRollout(client, namespace, "checkout", change);
    }



}
