package io.sluice.demo;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.api.v1alpha1.RevisionOutcome;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.api.v1alpha1.RolloutStatus;
import io.sluice.crd.CrdGeneration;
import io.sluice.sandbox.SandboxSeed;
import io.sluice.testing.kube.MockKubeApi;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The work tree the demo leaves for the user's own releases: after the broken release was rolled back it
 * holds the stable (healthy) version again, so that "change the image tag, commit, push", as the demo
 * says, ships a healthy version instead of the rolled-back one with its injected errors.
 */
class DemoWorkTreeMockTest {
    @RegisterExtension
    static final MockKubeApi API = MockKubeApi.start();
    private static final Path EXAMPLE = CrdGeneration.projectDir().resolve("examples/checkout");

    @TempDir
    Path work;

    @Test
    void afterTheRollbackTheNextImageTagPushedShipsAHealthyVersion() throws Exception {
        KubernetesClient client = API.client();
        SandboxSeed.Seeded seeded = SandboxSeed.seed(client, EXAMPLE.resolve("app"),
                EXAMPLE.resolve("demo/analysis-template.yaml"), EXAMPLE.resolve("demo/rollout.yaml"), work);
        ByteArrayOutputStream narration = new ByteArrayOutputStream();
        DemoOutput output = new DemoOutput(new PrintStream(narration, true, StandardCharsets.UTF_8), Clock.systemUTC());

        List<DemoReleases.Result> results;
        try (StandIn operator = new StandIn(client, work.resolve("deploy.git"), seeded.revision())) {
            results = new DemoReleases(client, "shop", "checkout", seeded.workTree(), output, () -> false)
                    .run(seeded.revision());
        }

        String told = narration.toString(StandardCharsets.UTF_8);
        assertThat(results).as(told).extracting(r -> r.outcome())
                .containsExactly(DemoReleases.Outcome.PROMOTED, DemoReleases.Outcome.ROLLED_BACK);
        Path deployment = seeded.workTree().resolve(DemoReleases.DEPLOYMENT_FILE);
        assertThat(deployment).content().as(told).doesNotContain(SimulatedPods.ERROR_RATE);
        assertThat(SimulatedPods.behaviourOf(read(Files.readString(deployment))))
                .isEqualTo(new SimulatedPods.Behaviour("ghcr.io/example/checkout:1.5.0", 0, 0));
        try (Git git = Git.open(seeded.workTree().toFile())) {
            assertThat(git.status().call().isClean()).as("nothing left uncommitted in the work tree").isTrue();
        }

        // what the demo tells the user to do next
        Files.writeString(deployment, Files.readString(deployment).replace("checkout:1.5.0", "checkout:1.7.0"));
        try (Git git = Git.open(seeded.workTree().toFile())) {
            git.commit().setAll(true).setMessage("checkout 1.7.0").setAuthor("user", "user@example.com")
                    .setCommitter("user", "user@example.com").setSign(false).call();
            git.push().setRemote("origin").setRefSpecs(new RefSpec("refs/heads/main:refs/heads/main")).call();
        }
        assertThat(SimulatedPods.behaviourOf(read(pushedDeployment(work.resolve("deploy.git"), null))))
                .as("the canary of the next release")
                .isEqualTo(new SimulatedPods.Behaviour("ghcr.io/example/checkout:1.7.0", 0, 0));
    }

    private static Deployment read(String yaml) {
        return API.client().getKubernetesSerialization().unmarshal(yaml, Deployment.class);
    }

    /** The Deployment at {@code revision} (main when null) in the repository the Rollout reads. */
    private static String pushedDeployment(Path bare, String revision) throws IOException {
        try (Repository repository = Git.open(bare.toFile()).getRepository(); RevWalk walk = new RevWalk(repository)) {
            ObjectId commit = repository.resolve(revision == null ? "refs/heads/main" : revision);
            try (TreeWalk file = TreeWalk.forPath(repository, DemoReleases.DEPLOYMENT_FILE,
                    walk.parseCommit(commit).getTree())) {
                return new String(repository.open(file.getObjectId(0)).getBytes(), StandardCharsets.UTF_8);
            }
        }
    }

    /**
     * Stands in for the operator, only as far as the demo's script reads it: each commit pushed is
     * promoted when its pods would be healthy and rolled back when they would answer with errors.
     */
    private static final class StandIn implements AutoCloseable {
        private final KubernetesClient client;
        private final Path bare;
        private final Thread thread;
        private volatile String lastSeen;

        StandIn(KubernetesClient client, Path bare, String firstRevision) {
            this.client = client;
            this.bare = bare;
            decide(firstRevision);
            lastSeen = firstRevision;
            thread = Thread.ofPlatform().daemon().name("stand-in-operator").start(this::run);
        }

        private void run() {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    String head;
                    try (Repository repository = Git.open(bare.toFile()).getRepository()) {
                        head = repository.resolve("refs/heads/main").getName();
                    }
                    if (!head.equals(lastSeen)) {
                        decide(head);
                        lastSeen = head;
                    }
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
        }

        private void decide(String revision) {
            SimulatedPods.Behaviour behaviour;
            try {
                behaviour = SimulatedPods.behaviourOf(read(pushedDeployment(bare, revision)));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            Rollout rollout = client.resources(Rollout.class).inNamespace("shop").withName("checkout").get();
            RolloutStatus status = rollout.getStatus() == null ? new RolloutStatus() : rollout.getStatus();
            status.canaryWeight = 0;
            if (behaviour.errorRate() == 0) {
                status.phase = RolloutPhase.Healthy;
                status.stableRevision = revision;
            } else {
                status.phase = RolloutPhase.Aborted;
                status.abortedRevision = new RevisionOutcome();
                status.abortedRevision.revision = revision;
                status.abortedRevision.reason = "AnalysisFailed";
                status.abortedRevision.message = "error-rate breached";
            }
            rollout.setStatus(status);
            client.resource(rollout).updateStatus();
        }

        @Override
        public void close() throws InterruptedException {
            thread.interrupt();
            thread.join(2000);
        }
    }
}
