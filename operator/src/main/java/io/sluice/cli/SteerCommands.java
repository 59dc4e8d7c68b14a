package io.sluice.cli;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sluice.api.v1alpha1.ActionRequest;
import io.sluice.api.v1alpha1.HandledRequests;
import io.sluice.api.v1alpha1.PromoteRequest;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.api.v1alpha1.RolloutStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The commands that steer a rollout. Each writes the request the operator acts on into the Rollout's
 * spec ({@code spec.promote}, {@code spec.abort}, {@code spec.retry} with a fresh id, or
 * {@code spec.paused}) with an update guarded by the resourceVersion it read, and tries again on a
 * conflict (the operator writes the status often). A request that makes no sense in the rollout's
 * current state is refused before anything is written.
 */
final class SteerCommands {
    private static final int ATTEMPTS = 10;

    private SteerCommands() {
    }

    /** What a steering command checks and changes; {@link #apply} returns the sentence to print. */
    abstract static class Steer implements Callable<Integer> {
        @ParentCommand
        SluiceCli cli;

        @Parameters(index = "0", paramLabel = "NAME", description = "Name of the rollout.")
        String name;

        /** Refuses (throws {@link CliException}) or changes the spec and says what was requested. */
        abstract String apply(Rollout rollout, String requestId);

        @Override
        public Integer call() {
            PrintWriter out = cli.spec.commandLine().getOut();
            String requestId = Long.toString(System.currentTimeMillis()) + "-"
                    + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
            try (Kube kube = cli.connect()) {
                for (int attempt = 1; ; attempt++) {
                    Rollout rollout = kube.rollout(name);
                    List<String> unread = io.sluice.api.UnknownFields.of(rollout);
                    if (!unread.isEmpty()) {
                        // The update writes the whole Rollout back: what this plugin could not read would be lost.
                        throw new CliException("rollout \"" + name + "\" has fields this kubectl-sluice does not know ("
                                + String.join(", ", unread) + "); writing it back would drop them, so it is not changed: "
                                + "fix the Rollout (a typo?) or use a kubectl-sluice as new as the operator");
                    }
                    String done = apply(rollout, requestId);
                    try {
                        kube.client.resource(rollout).update(); // PUT with the resourceVersion read above
                        out.println(done);
                        out.flush();
                        return 0;
                    } catch (KubernetesClientException e) {
                        if (e.getCode() == 404) {
                            throw kube.notFound(name);
                        }
                        if (e.getCode() != 409 || attempt == ATTEMPTS) {
                            throw e;
                        }
                        // someone (usually the operator writing status) updated it in between: read again
                        sleep(Duration.ofMillis(20L * attempt + ThreadLocalRandom.current().nextInt(20)));
                    }
                }
            }
        }

        private static void sleep(Duration d) {
            try {
                Thread.sleep(d.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException("interrupted");
            }
        }

        String who(Rollout rollout) {
            return "rollout " + rollout.getMetadata().getNamespace() + "/" + rollout.getMetadata().getName();
        }

        static RolloutStatus status(Rollout rollout) {
            return rollout.getStatus() != null ? rollout.getStatus() : new RolloutStatus();
        }

        static HandledRequests handled(Rollout rollout) {
            RolloutStatus s = status(rollout);
            return s.handledRequests != null ? s.handledRequests : new HandledRequests();
        }

        static boolean aborted(RolloutStatus s) {
            return s.canaryRevision != null && s.abortedRevision != null && s.canaryRevision.equals(s.abortedRevision.revision);
        }

        static String phase(RolloutStatus s) {
            return s.phase == null ? "not reconciled yet" : s.phase.name();
        }

        /** Refuses when no canary is in flight, or it was aborted. */
        void requireLiveCanary(Rollout rollout, String what) {
            RolloutStatus s = status(rollout);
            if (s.canaryRevision == null) {
                throw new CliException("cannot " + what + " " + who(rollout) + ": no canary is in flight (phase "
                        + phase(s) + ", stable " + Text.revision(s.stableRevision) + ")");
            }
            if (aborted(s)) {
                throw new CliException("cannot " + what + " " + who(rollout) + ": its canary "
                        + Text.revision(s.canaryRevision) + " was aborted (" + s.abortedRevision.reason
                        + "); use `kubectl sluice retry " + rollout.getMetadata().getName() + "` to run it again");
            }
        }

        static void requireNotPending(Rollout rollout, ActionRequest pending, String handledId, String what) {
            if (pending != null && pending.id != null && !pending.id.equals(handledId)) {
                throw new CliException("a " + what + " request (id " + pending.id + ") for rollout \""
                        + rollout.getMetadata().getName() + "\" is still waiting for the operator; try again once it is handled");
            }
        }

        static ActionRequest request(String id) {
            ActionRequest request = new ActionRequest();
            request.id = id;
            return request;
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true,
            header = "Move the canary past its current step, or (--full) promote it now.",
            description = {"Ends the current step (a pause waiting for a person, a timed pause, a running or inconclusive analysis) and goes on with the next one. With --full, skips all remaining steps and promotes the canary to stable. Sets spec.promote.", ""})
    static final class Promote extends Steer {
        @Option(names = "--full", description = "Skip all remaining steps and analyses and promote now.")
        boolean full;

        @Override
        String apply(Rollout rollout, String requestId) {
            RolloutStatus s = status(rollout);
            requireLiveCanary(rollout, "promote");
            requireNotPending(rollout, rollout.getSpec().promote, handled(rollout).promote, "promote");
            int steps = StatusView.steps(rollout).size();
            int index = s.currentStepIndex == null ? 0 : s.currentStepIndex;
            if (index >= steps) {
                throw new CliException("cannot promote " + who(rollout) + ": canary " + Text.revision(s.canaryRevision)
                        + " has passed all its steps and is already being promoted");
            }
            if (rollout.getSpec().pauseRequested()) {
                throw new CliException("cannot promote " + who(rollout) + ": it is paused (spec.paused); run `kubectl sluice resume "
                        + rollout.getMetadata().getName() + "` first");
            }
            PromoteRequest request = new PromoteRequest();
            request.id = requestId;
            if (full) {
                request.full = true;
            }
            rollout.getSpec().promote = request;
            String canary = "canary " + Text.revision(s.canaryRevision);
            return full
                    ? "Full promotion requested for " + who(rollout) + ": " + canary + " skips the remaining "
                            + (steps - index) + " of " + steps + " steps and becomes stable."
                    : "Promotion requested for " + who(rollout) + ": " + canary + " moves past step " + (index + 1) + " of "
                            + steps + " (" + StatusView.describe(StatusView.steps(rollout).get(index)) + ").";
        }
    }

    @Command(name = "abort", mixinStandardHelpOptions = true,
            header = "Abort the canary: all traffic back to stable at once.",
            description = {"The canary's weight goes to 0 at once and it is scaled down after abortScaleDownDelaySeconds. Its revision is not started again until a newer commit or `kubectl sluice retry`. Sets spec.abort.", ""})
    static final class Abort extends Steer {
        @Override
        String apply(Rollout rollout, String requestId) {
            RolloutStatus s = status(rollout);
            requireLiveCanary(rollout, "abort");
            requireNotPending(rollout, rollout.getSpec().abort, handled(rollout).abort, "abort");
            if (s.currentStepIndex != null && s.currentStepIndex >= StatusView.steps(rollout).size()) {
                throw new CliException("cannot abort " + who(rollout) + ": canary " + Text.revision(s.canaryRevision)
                        + " is already being promoted to stable; revert the commit in Git to roll back");
            }
            rollout.getSpec().abort = request(requestId);
            return "Abort requested for " + who(rollout) + ": canary " + Text.revision(s.canaryRevision)
                    + " goes to 0% and stable " + Text.revision(s.stableRevision) + " serves all traffic.";
        }
    }

    @Command(name = "retry", mixinStandardHelpOptions = true,
            header = "Run the aborted canary again from the first step.",
            description = {"Starts the aborted or rolled-back revision again from step 1. Sets spec.retry.", ""})
    static final class Retry extends Steer {
        @Override
        String apply(Rollout rollout, String requestId) {
            RolloutStatus s = status(rollout);
            if (!aborted(s)) {
                throw new CliException("cannot retry " + who(rollout) + ": nothing was aborted (phase " + phase(s)
                        + (s.canaryRevision != null ? ", canary " + Text.revision(s.canaryRevision) + " in flight" : "") + ")");
            }
            requireNotPending(rollout, rollout.getSpec().retry, handled(rollout).retry, "retry");
            rollout.getSpec().retry = request(requestId);
            return "Retry requested for " + who(rollout) + ": revision " + Text.revision(s.canaryRevision)
                    + " starts again from step 1.";
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true,
            header = "Hold the rollout at its current step and weight.",
            description = {"Nothing advances and no new canary starts (a commit arriving meanwhile waits) until `kubectl sluice resume`. Sets spec.paused: true.", ""})
    static final class Pause extends Steer {
        @Override
        String apply(Rollout rollout, String requestId) {
            if (rollout.getSpec().pauseRequested()) {
                throw new CliException(who(rollout) + " is already paused; `kubectl sluice resume "
                        + rollout.getMetadata().getName() + "` lets it go on");
            }
            rollout.getSpec().paused = true;
            RolloutStatus s = status(rollout);
            return "Paused " + who(rollout) + (s.canaryRevision != null && !aborted(s)
                    ? ": canary " + Text.revision(s.canaryRevision) + " holds at " + (s.canaryWeight == null ? 0 : s.canaryWeight) + "%"
                    : ": no new canary starts") + " until `kubectl sluice resume`.";
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true,
            header = "Let a rollout paused with `pause` go on.",
            description = {"Clears spec.paused. A rollout waiting at a pause step or after an inconclusive analysis is not paused this way: use `kubectl sluice promote`.", ""})
    static final class Resume extends Steer {
        @Override
        String apply(Rollout rollout, String requestId) {
            RolloutStatus s = status(rollout);
            if (!rollout.getSpec().pauseRequested()) {
                if (s.phase == RolloutPhase.Paused) {
                    throw new CliException("cannot resume " + who(rollout) + ": it was not paused with `kubectl sluice pause` but is "
                            + "waiting for a person (" + s.message + "); use `kubectl sluice promote "
                            + rollout.getMetadata().getName() + "` to go on");
                }
                throw new CliException("cannot resume " + who(rollout) + ": it is not paused (phase " + phase(s) + ")");
            }
            rollout.getSpec().paused = false;
            return "Resumed " + who(rollout) + ": it goes on from where it was.";
        }
    }
}
