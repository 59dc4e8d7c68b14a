package io.sluice.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.core.RolloutFixtures;
import io.sluice.sandbox.SandboxDeploymentController;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.testing.kube.MockKubeApi;
import io.sluice.testing.time.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Repositories are polled once per interval and wake only the Rollouts whose commit moved; an idle
 * Rollout is not reconciled every interval. The test drives reconciles and polls itself against
 * the mock API, with real Git repositories.
 */
class RepositoryPollerMockTest {
    @RegisterExtension
    static final MockKubeApi API = MockKubeApi.start();

    @TempDir
    Path cache;

    @Test
    void anIdleRepositoryWakesNobodyAndANewCommitWakesExactlyTheRolloutsReadingIt() {
        KubernetesClient client = API.client();
        MutableClock clock = new MutableClock();
        ManualOperator operator = new ManualOperator(client, clock, cache);
        List<String> woken = new CopyOnWriteArrayList<>();
        operator.poller.attach(() -> client.resources(Rollout.class).inAnyNamespace().list().getItems().stream(),
                r -> woken.add(r.getMetadata().getNamespace()));
        try (GitRepoFixture shop = GitRepoFixture.create(); GitRepoFixture billing = GitRepoFixture.create();
             SandboxDeploymentController deployments = new SandboxDeploymentController(client)) {
            shop.commit("v1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
            billing.commit("v1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
            List<String> shopRollouts = List.of("poll-shop-1", "poll-shop-2", "poll-shop-3");
            shopRollouts.forEach(ns -> create(client, ns, shop));
            create(client, "poll-billing", billing);

            UpdateControl<Rollout> healthy = null;
            for (String ns : List.of("poll-shop-1", "poll-shop-2", "poll-shop-3", "poll-billing")) {
                healthy = reconcileUntilHealthy(client, operator, ns);
            }
            assertThat(healthy.getScheduleDelay()).as("a healthy Rollout only comes back for the safety-net resync")
                    .hasValueSatisfying(ms -> assertThat(ms).isBetween(Duration.ofMinutes(9).toMillis(), Duration.ofMinutes(10).toMillis()));
            assertThat(operator.poller.tracked()).as("one entry per repository and ref, not per Rollout").isEqualTo(2);

            assertThat(operator.poller.pollDue(Runnable::run)).as("nothing is due within the interval").isZero();
            clock.advance(Duration.ofSeconds(61));
            assertThat(operator.poller.pollDue(Runnable::run)).as("each repository once").isEqualTo(2);
            assertThat(woken).as("no commit, nobody woken").isEmpty();
            assertThat(operator.git.fetchCount(shop.fileUrl())).as("but the repository was fetched").isEqualTo(2);

            String v2 = shop.commit("v2", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
            clock.advance(Duration.ofSeconds(61));
            operator.poller.pollDue(Runnable::run);
            assertThat(woken).as("the Rollouts of the repository that moved, each once").containsExactlyInAnyOrderElementsOf(shopRollouts);

            woken.clear();
            shopRollouts.forEach(ns -> operator.reconciler.reconcile(get(client, ns), null));
            assertThat(get(client, "poll-shop-1").getStatus().source.revision).isEqualTo(v2);
            clock.advance(Duration.ofSeconds(61));
            operator.poller.pollDue(Runnable::run);
            assertThat(woken).as("once they read the new commit, they are left alone").isEmpty();

            create(client, "poll-shop-new", shop);
            clock.advance(Duration.ofSeconds(61));
            operator.poller.pollDue(Runnable::run);
            assertThat(woken).as("a Rollout that has not read yet is reconciled for its creation; no extra wake-up").isEmpty();
            operator.reconciler.reconcile(get(client, "poll-shop-new"), null);

            shop.commit("v3", RolloutFixtures.checkoutManifestsInRepo("checkout:1.2"));
            operator.poller.pushed(Set.of(io.sluice.source.RepositoryUrls.normalize(shop.fileUrl())));
            clock.advance(Duration.ofSeconds(61));
            operator.poller.pollDue(Runnable::run);
            assertThat(woken).as("a push already woke the readers of the commit").isEmpty();

            client.resources(Rollout.class).inNamespace("poll-billing").withName("checkout").delete();
            clock.advance(Duration.ofSeconds(61));
            operator.poller.pollDue(Runnable::run);
            assertThat(operator.poller.tracked()).as("a repository nobody reads any more is dropped").isEqualTo(1);
            assertThat(Set.copyOf(woken)).isEmpty();
        }
    }

    private static void create(KubernetesClient client, String namespace, GitRepoFixture repo) {
        RolloutFixtures.createAnalysisTemplate(client, namespace);
        Rollout rollout = RolloutFixtures.checkout(repo.fileUrl());
        rollout.getMetadata().setNamespace(namespace);
        rollout.getMetadata().setGeneration(null);
        rollout.getSpec().source.git.interval = "1m";
        client.resource(rollout).create();
    }

    private static UpdateControl<Rollout> reconcileUntilHealthy(KubernetesClient client, ManualOperator operator, String ns) {
        for (int i = 0; i < 10; i++) {
            UpdateControl<Rollout> control = operator.reconciler.reconcile(get(client, ns), null);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> client.apps().deployments()
                    .inNamespace(ns).list().getItems().stream().allMatch(d -> d.getStatus() != null
                            && d.getStatus().getAvailableReplicas() != null));
            if (get(client, ns).getStatus().phase == RolloutPhase.Healthy) {
                return control;
            }
        }
        throw new AssertionError(ns + " not Healthy: " + get(client, ns).getStatus());
    }

    private static Rollout get(KubernetesClient client, String namespace) {
        return client.resources(Rollout.class).inNamespace(namespace).withName("checkout").get();
    }
}
