package io.sluice.demo;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.api.v1alpha1.RolloutStatus;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.transport.RefSpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static io.sluice.demo.RolloutNarrator.shortRevision;

/**
 * The demo's script: once the first revision is stable, two releases are committed to the Git
 * repository the Rollout reads, as a person would: a healthy version, which should be promoted
 * step by step, and a broken one, which should be rolled back when its SLO is breached. Each
 * release's outcome is read from the Rollout's status and compared with what was expected.
 * <p>
 * Then the work tree is made ready for the user's own next release: it holds the stable revision's
 * Deployment again (committed, not pushed), so that changing the image tag, committing and pushing
 * ships a healthy version rather than the rolled-back one with its injected errors.
 */
final class DemoReleases {
    static final String DEPLOYMENT_FILE = "apps/checkout/deployment.yaml";
    private static final Duration FIRST_REVISION_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration RELEASE_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration BETWEEN_RELEASES = Duration.ofSeconds(5);
    private static final PersonIdent AUTHOR = new PersonIdent("Sluice demo", "demo@sluice.io");

    enum Outcome {
        PROMOTED("promoted"), ROLLED_BACK("rolled back");

        final String text;

        Outcome(String text) {
            this.text = text;
        }
    }

    /** A release: what the commit changes in the Deployment, and what should happen to it. */
    record Release(String title, String image, Map<String, String> env, Outcome expected) {
    }

    /** What happened to one release. */
    record Result(Release release, String revision, Outcome outcome, String detail) {
        boolean asExpected() {
            return outcome == release.expected();
        }
    }

    static final List<Release> RELEASES = List.of(
            new Release("checkout 1.5.0, a healthy version", "ghcr.io/example/checkout:1.5.0", Map.of(),
                    Outcome.PROMOTED),
            new Release("checkout 1.6.0, a bug answers 20% of requests with 500", "ghcr.io/example/checkout:1.6.0",
                    Map.of(SimulatedPods.ERROR_RATE, "0.2"), Outcome.ROLLED_BACK));

    private final KubernetesClient client;
    private final String namespace;
    private final String rolloutName;
    private final Path workTree;
    private final DemoOutput output;
    private final BooleanSupplier stopping;

    /** @param stopping true once the demo is stopping: no further release is started */
    DemoReleases(KubernetesClient client, String namespace, String rolloutName, Path workTree, DemoOutput output,
            BooleanSupplier stopping) {
        this.client = client;
        this.namespace = namespace;
        this.rolloutName = rolloutName;
        this.workTree = workTree;
        this.output = output;
        this.stopping = stopping;
    }

    /**
     * Waits for {@code firstRevision} to be stable, then runs every release in turn.
     *
     * @throws IllegalStateException when a release has no outcome in time (with the Rollout's status)
     */
    List<Result> run(String firstRevision) throws InterruptedException {
        awaitStatus("revision " + shortRevision(firstRevision) + " stable", FIRST_REVISION_TIMEOUT,
                s -> s.phase == RolloutPhase.Healthy && firstRevision.equals(s.stableRevision));
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < RELEASES.size(); i++) {
            Thread.sleep(BETWEEN_RELEASES);
            if (stopping.getAsBoolean()) {
                throw new InterruptedException("the demo is stopping");
            }
            results.add(release(i + 1, RELEASES.get(i)));
        }
        backToStable();
        return results;
    }

    private Result release(int number, Release release) throws InterruptedException {
        output.line("=== release %d/%d: %s (expected: %s)", number, RELEASES.size(), release.title(),
                release.expected().text);
        long started = System.nanoTime();
        String revision = commit(release);
        output.line("git      commit %s \"%s\" pushed: image %s%s", shortRevision(revision), release.title(),
                release.image(), release.env().isEmpty() ? "" : ", env " + release.env());
        RolloutStatus status = awaitStatus("an outcome for revision " + shortRevision(revision), RELEASE_TIMEOUT,
                s -> (s.phase == RolloutPhase.Healthy && revision.equals(s.stableRevision))
                        || (s.abortedRevision != null && revision.equals(s.abortedRevision.revision)));
        long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
        Thread.sleep(RolloutNarrator.CATCH_UP); // the narration tells what led to the outcome before the outcome
        Result result;
        if (revision.equals(status.stableRevision)) {
            result = new Result(release, revision, Outcome.PROMOTED,
                    "after " + seconds + "s: revision " + shortRevision(revision) + " is stable and serves 100% of traffic");
        } else {
            result = new Result(release, revision, Outcome.ROLLED_BACK,
                    "after " + seconds + "s (" + status.abortedRevision.reason + "): " + status.abortedRevision.message
                            + "; canary weight " + (status.canaryWeight == null ? 0 : status.canaryWeight) + "%");
        }
        output.line("RESULT   release %d %s %s %s%s", number, shortRevision(revision), result.outcome().text.toUpperCase(),
                result.detail(), result.asExpected() ? "" : " -- UNEXPECTED, expected " + release.expected().text);
        return result;
    }

    /** Commits the release's change to the Deployment in the work tree and pushes it to the repository. */
    private String commit(Release release) {
        Path file = workTree.resolve(DEPLOYMENT_FILE);
        var serialization = client.getKubernetesSerialization();
        try (Git git = Git.open(workTree.toFile())) {
            Deployment deployment = serialization.unmarshal(Files.readString(file), Deployment.class);
            Container container = deployment.getSpec().getTemplate().getSpec().getContainers().getFirst();
            container.setImage(release.image());
            List<EnvVar> env = new ArrayList<>();
            release.env().forEach((name, value) -> env.add(new EnvVar(name, value, null)));
            container.setEnv(env.isEmpty() ? null : env);
            Files.writeString(file, serialization.asYaml(deployment));
            git.add().addFilepattern(DEPLOYMENT_FILE).call();
            String revision = git.commit().setMessage(release.title()).setAuthor(AUTHOR).setCommitter(AUTHOR)
                    .setSign(false).call().getName();
            git.push().setRemote("origin").setRefSpecs(new RefSpec("refs/heads/main:refs/heads/main")).call();
            return revision;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot commit " + release.title() + " in " + workTree, e);
        } catch (GitAPIException e) {
            throw new IllegalStateException("cannot commit " + release.title() + " in " + workTree + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Puts the stable revision's Deployment back into the work tree and commits it there, unpushed: a
     * rolled-back release stays in Git until someone reverts it, and the next commit pushed on top of it
     * would otherwise bring its bug along. Also gives the work tree a committer identity when there is
     * none, so that the {@code git commit} the demo suggests works.
     */
    private void backToStable() {
        Rollout rollout = client.resources(Rollout.class).inNamespace(namespace).withName(rolloutName).get();
        String stable = rollout == null || rollout.getStatus() == null ? null : rollout.getStatus().stableRevision;
        if (stable == null) {
            return;
        }
        Path file = workTree.resolve(DEPLOYMENT_FILE);
        try (Git git = Git.open(workTree.toFile())) {
            git.checkout().setStartPoint(stable).addPath(DEPLOYMENT_FILE).call();
            var config = git.getRepository().getConfig();
            if (config.getString("user", null, "name") == null || config.getString("user", null, "email") == null) {
                config.setString("user", null, "name", "Sluice demo user");
                config.setString("user", null, "email", "demo-user@sluice.io");
                config.save();
            }
            String holds = SimulatedPods.behaviourOf(
                    client.getKubernetesSerialization().unmarshal(Files.readString(file), Deployment.class)).describe();
            if (git.status().call().isClean()) {
                output.line("git      work tree %s holds the stable revision %s: %s", workTree, shortRevision(stable), holds);
                return;
            }
            String title = "Back to the stable revision " + shortRevision(stable);
            String revert = git.commit().setMessage(title).setAuthor(AUTHOR).setCommitter(AUTHOR).setSign(false).call()
                    .getName();
            output.line("git      commit %s \"%s\" in the work tree %s, not pushed: it holds %s again",
                    shortRevision(revert), title, workTree, holds);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reset the work tree " + workTree + " to " + stable, e);
        } catch (GitAPIException e) {
            throw new IllegalStateException("cannot reset the work tree " + workTree + " to " + stable + ": "
                    + e.getMessage(), e);
        }
    }

    private RolloutStatus awaitStatus(String what, Duration timeout, java.util.function.Predicate<RolloutStatus> done)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        RolloutStatus status = null;
        while (System.nanoTime() - deadline < 0) {
            if (stopping.getAsBoolean()) {
                throw new InterruptedException("the demo is stopping");
            }
            Rollout rollout = client.resources(Rollout.class).inNamespace(namespace).withName(rolloutName).get();
            status = rollout == null ? null : rollout.getStatus();
            if (status != null && done.test(status)) {
                return status;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("no " + what + " within " + timeout.toSeconds() + "s; the Rollout's status: "
                + (status == null ? "none" : status.phase + ": " + status.message));
    }
}
