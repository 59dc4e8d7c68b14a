package io.sluice.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.api.v1alpha1.Condition;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.core.ConditionTypes;
import io.sluice.core.RolloutFixtures;
import io.sluice.sandbox.SandboxDeploymentController;
import io.sluice.source.jgit.SilentGitServer;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.testing.kube.MockKubeApi;
import io.sluice.testing.time.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Rollouts whose Git server never answers (or answers a byte a second) report a timeout within two
 * timeouts, and meanwhile another Rollout's abort goes through on the same few reconcile threads: a
 * fetch does not hold a reconcile thread, nor a lock, beyond its deadline.
 */
class SilentGitServerMockTest {
    private static final Duration GIT_TIMEOUT = Duration.ofSeconds(5);
    private static final int SILENT_ROLLOUTS = 8;
    private static final int RECONCILE_THREADS = 4;

    @RegisterExtension
    static final MockKubeApi API = MockKubeApi.start();

    @TempDir
    Path cache;

    @Test
    void silentGitServersReportATimeoutAndAnotherRolloutsAbortCompletesMeanwhile() throws Exception {
        KubernetesClient client = API.client();
        MutableClock clock = new MutableClock();
        ManualOperator operator = new ManualOperator(client, clock,
                TestConfig.of(cache, Duration.ofSeconds(10), true, GIT_TIMEOUT, Duration.ofSeconds(1)));
        ExecutorService workers = Executors.newFixedThreadPool(RECONCILE_THREADS, Thread.ofPlatform().daemon().factory());
        ScheduledExecutorService requeue = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().factory());
        AtomicBoolean running = new AtomicBoolean(true);
        try (SilentGitServer silent = SilentGitServer.silent(); SilentGitServer trickling = SilentGitServer.trickling();
             GitRepoFixture repo = GitRepoFixture.create();
             SandboxDeploymentController deployments = new SandboxDeploymentController(client)) {
            repo.commit("v1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
            create(client, "good", repo.fileUrl());
            reconcileUntil(client, operator, workers, "good", r -> r.getStatus() != null && r.getStatus().phase == RolloutPhase.Healthy);
            String v2 = repo.commit("v2", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
            operator.git.invalidate(repo.fileUrl()); // as the push webhook would (the test's clock stands still)
            long canaryStart = System.nanoTime();
            reconcileUntil(client, operator, workers, "good", r -> v2.equals(r.getStatus().canaryRevision)
                    && r.getStatus().canaryWeight != null && r.getStatus().canaryWeight > 0);
            Duration canaryTook = Duration.ofNanos(System.nanoTime() - canaryStart);

            List<String> silentNamespaces = new ArrayList<>();
            for (int i = 0; i < SILENT_ROLLOUTS; i++) {
                String ns = "silent-" + i;
                silentNamespaces.add(ns);
                create(client, ns, (i % 2 == 0 ? silent : trickling).url("deploy-" + i + ".git"));
            }
            long silentStart = System.nanoTime();
            // Like the operator's controller: each Rollout reconciled again shortly after its last reconcile ended.
            for (String ns : silentNamespaces) {
                requeueForever(client, operator, workers, requeue, running, ns);
            }

            // While the silent servers hold their fetches, the good Rollout's canary is aborted.
            Thread.sleep(1500); // the silent fetches hang now, and their reconciles keep the reconcile threads busy
            RolloutFixtures.editRollout(client, "good", "checkout", r -> r.getSpec().abort = RolloutFixtures.request("a1"));
            long abortStart = System.nanoTime();
            Rollout aborted = reconcileUntil(client, operator, workers, "good", r -> r.getStatus().phase == RolloutPhase.Aborted);
            Duration abortTook = Duration.ofNanos(System.nanoTime() - abortStart);
            assertThat(aborted.getStatus().canaryWeight).isZero();
            assertThat(aborted.getStatus().abortedRevision.revision).isEqualTo(v2);
            Duration goodDone = Duration.ofNanos(System.nanoTime() - silentStart);
            assertThat(goodDone).as("all of it while the silent fetches were still running").isLessThan(GIT_TIMEOUT);
            await().atMost(Duration.ofSeconds(10).minusNanos(System.nanoTime() - silentStart)).pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertThat(silentNamespaces).allSatisfy(ns -> assertThat(sourceReady(client, ns))
                            .isNotNull().satisfies(c -> {
                                assertThat(c.status).isEqualTo(Condition.FALSE);
                                assertThat(c.reason).isEqualTo("GitTimeout");
                            })));
            Duration silentTook = Duration.ofNanos(System.nanoTime() - silentStart);
            assertThat(sourceReady(client, "silent-1").message).contains("5s").doesNotContain("####");

            assertThat(silentNamespaces).as("still failing with the timeout, not hanging")
                    .allSatisfy(ns -> assertThat(sourceReady(client, ns).reason).isEqualTo("GitTimeout"));
            System.out.printf("SilentGitServerMockTest: all %d silent Rollouts reported GitTimeout after %d ms; meanwhile the "
                    + "abort took %d ms (the canary had started in %d ms before)%n", SILENT_ROLLOUTS, silentTook.toMillis(),
                    abortTook.toMillis(), canaryTook.toMillis());
        } finally {
            running.set(false);
            requeue.shutdownNow();
            workers.shutdownNow();
        }
    }

    private static void requeueForever(KubernetesClient client, ManualOperator operator, ExecutorService workers,
            ScheduledExecutorService requeue, AtomicBoolean running, String ns) {
        workers.execute(() -> {
            try {
                operator.reconciler.reconcile(get(client, ns), null);
            } catch (RuntimeException e) {
                // a conflict or the like: the next round retries
            } finally {
                if (running.get()) {
                    requeue.schedule(() -> requeueForever(client, operator, workers, requeue, running, ns), 200, TimeUnit.MILLISECONDS);
                }
            }
        });
    }

    /** Reconciles the Rollout on the shared reconcile threads until it matches; each reconcile must get a thread soon. */
    private static Rollout reconcileUntil(KubernetesClient client, ManualOperator operator, ExecutorService workers, String ns,
            Predicate<Rollout> done) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < until) {
            workers.submit(() -> operator.reconciler.reconcile(get(client, ns), null)).get(20, TimeUnit.SECONDS);
            Rollout now = get(client, ns);
            if (now.getStatus() != null && done.test(now)) {
                return now;
            }
            Thread.sleep(200); // the stand-in controller makes Deployments available meanwhile
        }
        throw new AssertionError(ns + " did not get there: " + client.getKubernetesSerialization().asYaml(get(client, ns).getStatus()));
    }

    private static Condition sourceReady(KubernetesClient client, String ns) {
        Rollout r = get(client, ns);
        return r.getStatus() == null ? null : r.getStatus().condition(ConditionTypes.SOURCE_READY).orElse(null);
    }

    private static void create(KubernetesClient client, String namespace, String url) {
        RolloutFixtures.createAnalysisTemplate(client, namespace);
        Rollout rollout = RolloutFixtures.checkout(url);
        rollout.getMetadata().setNamespace(namespace);
        rollout.getMetadata().setGeneration(null);
        client.resource(rollout).create();
    }

    private static Rollout get(KubernetesClient client, String namespace) {
        return client.resources(Rollout.class).inNamespace(namespace).withName("checkout").get();
    }
}
