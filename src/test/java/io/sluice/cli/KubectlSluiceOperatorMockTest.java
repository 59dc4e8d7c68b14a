package io.sluice.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.Pause;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.api.v1alpha1.RolloutStatus;
import io.sluice.core.RolloutFixtures;
import io.sluice.sandbox.SandboxDeploymentController;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.testing.kube.OperatorOnMockApi;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The plugin steering the real operator (running against the mock API, with a real Git repository):
 * what promote, abort, retry, pause and resume write is what the operator acts on, and
 * {@code status --until-done} follows a release to its end.
 */
@QuarkusTest
@QuarkusTestResource(OperatorOnMockApi.class)
class KubectlSluiceOperatorMockTest {
    /** Not the common pool: with one worker on a 2-core machine a blocked task would starve the client's own futures. */
    private static final java.util.concurrent.ExecutorService BACKGROUND =
            java.util.concurrent.Executors.newCachedThreadPool(Thread.ofPlatform().daemon().factory());
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    KubernetesClient client;

    private final String namespace = "plugin-shop";
    private GitRepoFixture repo;
    private SandboxDeploymentController deployments;
    private Path dir;
    private Cli cli;

    @BeforeEach
    void setUp() throws IOException {
        repo = GitRepoFixture.create();
        deployments = new SandboxDeploymentController(client, namespace);
        dir = Files.createTempDirectory("kubectl-sluice");
        cli = new Cli(Cli.writeKubeconfig(dir, client.getConfiguration().getMasterUrl(), namespace), Clock.systemUTC());
    }

    @AfterEach
    void tearDown() throws IOException {
        deployments.close();
        repo.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void theOperatorActsOnWhatThePluginRequests() throws Exception {
        String v1 = repo.commit("checkout 1.0", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        Rollout rollout = RolloutFixtures.checkout(repo.fileUrl());
        rollout.getMetadata().setNamespace(namespace);
        rollout.getMetadata().setGeneration(null);
        rollout.getSpec().source.git.interval = "1s";
        CanaryStep waitForPerson = new CanaryStep();
        waitForPerson.pause = new Pause();
        rollout.getSpec().strategy.canary.steps = List.of(CanaryStep.weight(20), waitForPerson, CanaryStep.weight(50));
        client.resource(rollout).create();
        awaitStatus("the first revision is stable", s -> s.phase == RolloutPhase.Healthy && v1.equals(s.stableRevision));

        Cli.Result nothingToPromote = cli.run("promote", "checkout");
        assertThat(nothingToPromote.code()).isEqualTo(1);
        assertThat(nothingToPromote.err()).contains("no canary is in flight");

        // A new commit runs as a canary and waits at the pause for a person.
        String v2 = repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
        awaitStatus("canary v2 waits at step 2", s -> s.phase == RolloutPhase.Paused && v2.equals(s.canaryRevision));
        Cli.Result paused = cli.run("status", "checkout");
        assertThat(paused.out()).as(paused.toString()).contains("Phase:     Paused",
                "Canary:    " + v2.substring(0, 12),
                "Traffic:   canary 20% [####................] stable 80%",
                "  [x] 1. setWeight 20%\n  [>] 2. pause until promoted\n  [ ] 3. setWeight 50%\n");
        assertThat(paused.out()).containsPattern("(?m)^\\s+\\S+\\s+Normal\\s+PauseStarted\\s+waiting for promotion");

        // status --until-done follows the promotion the plugin asks for, to the end.
        StringWriter watched = new StringWriter();
        CompletableFuture<Integer> watch = CompletableFuture.supplyAsync(() -> SluiceCli.execute(
                new String[] {"status", "checkout", "--until-done", "--timeout", "60s", "--kubeconfig", cli.kubeconfig.toString()},
                new PrintWriter(watched, true), new PrintWriter(new StringWriter(), true), false, Clock.systemUTC()), BACKGROUND);
        await().atMost(WAIT).until(() -> watched.toString().contains("[>] 2. pause until promoted"));
        Cli.Result promote = cli.run("promote", "checkout");
        assertThat(promote.code()).as(promote.toString()).isZero();
        assertThat(promote.out()).contains("moves past step 2 of 3 (pause until promoted)");
        assertThat(watch.get(60, TimeUnit.SECONDS)).as(watched.toString()).isZero();
        String out = watched.toString();
        assertThat(out).as("the watch saw the pause, then the promotion to the end")
                .contains("[>] 2. pause until promoted")
                .contains("Phase:     Healthy")
                .endsWith("Rollout " + namespace + "/checkout is Healthy.\n");
        assertThat(out.indexOf("[>] 2. pause until promoted")).isLessThan(out.indexOf("Phase:     Healthy"));
        assertThat(get().getStatus().stableRevision).isEqualTo(v2);

        // Another canary, aborted through the plugin: traffic back to stable, then retried.
        String v3 = repo.commit("checkout 1.2", RolloutFixtures.checkoutManifestsInRepo("checkout:1.2"));
        awaitStatus("canary v3 waits at step 2", s -> s.phase == RolloutPhase.Paused && v3.equals(s.canaryRevision));
        Cli.Result abort = cli.run("abort", "checkout");
        assertThat(abort.code()).as(abort.toString()).isZero();
        awaitStatus("aborted", s -> s.phase == RolloutPhase.Aborted && s.canaryWeight == 0);
        assertThat(virtualServiceWeights()).as("all traffic on stable").containsExactly(100, 0);
        Cli.Result aborted = cli.run("status", "checkout");
        assertThat(aborted.out()).as(aborted.toString()).contains("Phase:     Aborted",
                "Canary:    " + v3.substring(0, 12) + " (aborted)", "  [!] 2. pause until promoted", "AbortRequested");

        Cli.Result history = cli.run("history", "checkout");
        assertThat(history.out()).as(history.toString())
                .containsPattern(v3.substring(0, 12) + "\\s+AbortRequested\\s+\\S+\\s+checkout:1\\.2\\s+aborted by request")
                .containsPattern(v2.substring(0, 12) + "\\s+stable\\s+Promoted\\s+\\S+\\s+checkout:1\\.1\\s")
                .containsPattern(v1.substring(0, 12) + "\\s+Deployed\\s+\\S+\\s+checkout:1\\.0\\s");
        assertThat(history.out().indexOf(v3.substring(0, 12))).isLessThan(history.out().indexOf(v2.substring(0, 12)));

        Cli.Result retry = cli.run("retry", "checkout");
        assertThat(retry.code()).as(retry.toString()).isZero();
        awaitStatus("v3 runs again from the first step", s -> s.phase == RolloutPhase.Paused && v3.equals(s.canaryRevision)
                && s.abortedRevision == null && s.canaryWeight == 20);

        // pause / resume hold and release the rollout.
        assertThat(cli.run("pause", "checkout").code()).isZero();
        awaitStatus("paused by the plugin", s -> s.message != null && s.message.contains("paused by spec.paused"));
        assertThat(cli.run("resume", "checkout").code()).isZero();
        awaitStatus("waiting at its pause step again", s -> s.message != null && s.message.contains("kubectl sluice promote"));
        Cli.Result full = cli.run("promote", "checkout", "--full");
        assertThat(full.code()).as(full.toString()).isZero();
        awaitStatus("v3 promoted in full", s -> s.phase == RolloutPhase.Healthy && v3.equals(s.stableRevision));

        Cli.Result list = cli.run("list");
        assertThat(list.out()).containsPattern("checkout\\s+Healthy\\s+0%\\s+-\\s+" + v3.substring(0, 12) + "\\s+-");

        // A commit arriving while the rollout is paused waits, and status says so.
        assertThat(cli.run("pause", "checkout").code()).isZero();
        awaitStatus("paused", s -> s.phase == RolloutPhase.Paused);
        String v4 = repo.commit("checkout 1.3", RolloutFixtures.checkoutManifestsInRepo("checkout:1.3"));
        awaitStatus("v4 fetched", s -> s.source != null && v4.equals(s.source.revision));
        Cli.Result waiting = cli.run("status", "checkout");
        assertThat(waiting.out()).as(waiting.toString()).contains("Phase:     Paused",
                "Waiting:   revision " + v4.substring(0, 12) + " (paused: `kubectl sluice resume checkout` starts it)");
        assertThat(get().getStatus().canaryRevision).as("not started").isNull();
        assertThat(cli.run("resume", "checkout").code()).isZero();
        awaitStatus("v4 runs as canary", s -> v4.equals(s.canaryRevision));
        assertThat(cli.run("status", "checkout").out()).doesNotContain("Waiting:");
    }

    private Rollout get() {
        return client.resources(Rollout.class).inNamespace(namespace).withName("checkout").get();
    }

    private void awaitStatus(String what, Predicate<RolloutStatus> condition) {
        await(what).atMost(WAIT).until(() -> {
            Rollout r = get();
            return r.getStatus() != null && condition.test(r.getStatus());
        });
    }

    @SuppressWarnings("unchecked")
    private List<Integer> virtualServiceWeights() {
        var vs = client.genericKubernetesResources("networking.istio.io/v1", "VirtualService").inNamespace(namespace)
                .withName("checkout").get();
        var spec = (java.util.Map<String, Object>) vs.getAdditionalProperties().get("spec");
        var route = (List<java.util.Map<String, Object>>) ((List<java.util.Map<String, Object>>) spec.get("http")).getFirst().get("route");
        return route.stream().map(d -> ((Number) d.get("weight")).intValue()).toList();
    }
}
