package io.sluice.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.core.RolloutFixtures;
import io.sluice.testing.git.GitDaemonFixture;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.testing.kube.MockKubeApi;
import io.sluice.testing.time.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** 50 Rollouts on one repository, reconciled concurrently, cost one Git fetch per poll interval. */
class SharedFetchMockTest {
    private static final int ROLLOUTS = 50;

    @RegisterExtension
    static final MockKubeApi API = MockKubeApi.start();

    @TempDir
    Path cache;

    @Test
    void fiftyRolloutsOnOneRepositoryCauseOneFetchPerInterval() throws Exception {
        KubernetesClient client = API.client();
        MutableClock clock = new MutableClock();
        // The operator's own floor is short; the Rollouts' one-minute interval is what spaces fetches.
        ManualOperator operator = new ManualOperator(client, clock, TestConfig.of(cache, Duration.ofSeconds(5)));
        try (GitDaemonFixture daemon = GitDaemonFixture.start();
             GitRepoFixture repo = GitRepoFixture.createIn(daemon.baseDir(), "deploy", "main")) {
            repo.commit("checkout", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
            String url = daemon.url(repo);
            for (int i = 0; i < ROLLOUTS; i++) {
                // One team per namespace, each deploying the same app from the shared repository.
                RolloutFixtures.createAnalysisTemplate(client, namespace(i));
                Rollout rollout = RolloutFixtures.checkout(url);
                rollout.getMetadata().setNamespace(namespace(i));
                rollout.getMetadata().setGeneration(null);
                rollout.getSpec().source.git.interval = "1m";
                client.resource(rollout).create();
            }

            reconcileAll(client, operator);
            assertThat(operator.git.fetchCount(url)).as("first round").isEqualTo(1);

            clock.advance(Duration.ofSeconds(30));
            reconcileAll(client, operator);
            assertThat(operator.git.fetchCount(url)).as("within the interval").isEqualTo(1);

            clock.advance(Duration.ofSeconds(31));
            reconcileAll(client, operator);
            reconcileAll(client, operator);
            assertThat(operator.git.fetchCount(url)).as("the next interval").isEqualTo(2);

            List<Rollout> all = client.resources(Rollout.class).inAnyNamespace().list().getItems();
            assertThat(all).hasSize(ROLLOUTS).allSatisfy(r -> assertThat(r.getStatus().source.revision).isEqualTo(repo.head()));
        }
    }

    /** Reconciles every Rollout once, eight at a time, as the operator's worker threads would. */
    private static void reconcileAll(KubernetesClient client, ManualOperator operator) throws Exception {
        ExecutorService workers = Executors.newFixedThreadPool(8);
        try {
            List<? extends Future<?>> done = IntStream.range(0, ROLLOUTS).mapToObj(i -> workers.submit(() -> operator.reconciler.reconcile(
                    client.resources(Rollout.class).inNamespace(namespace(i)).withName("checkout").get(), null))).toList();
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            workers.shutdown();
        }
    }

    private static String namespace(int i) {
        return "team-" + i;
    }

}
