package io.sluice.cli;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.sluice.api.v1alpha1.AnalysisRun;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.core.Durations;
import io.sluice.workload.Labels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

@Command(name = "status", mixinStandardHelpOptions = true,
        header = "Show a rollout's phase, steps, traffic, analysis and recent events.",
        description = {
                "Shows the phase and message, the steps with the current one marked [>] (done [x], aborted [!]), "
                        + "the canary's current and desired traffic weight, the stable and canary revisions, the "
                        + "analysis of the canary (each metric's last value against its condition, verdict and "
                        + "counts) and the latest events.",
                "",
                "With --watch it keeps following the rollout, through this release and the next, until "
                        + "interrupted (Ctrl-C) or --timeout: on a terminal the view is redrawn in place; otherwise "
                        + "each new state is printed as a block.",
                "",
                "With --until-done it follows the rollout until it is Healthy, Aborted or Degraded, then exits: "
                        + "0 when Healthy, 1 when Aborted, Degraded, timed out or on error (for scripts and CI; a "
                        + "rollout that is Healthy already is done at once).",
                ""})
final class StatusCommand implements Callable<Integer> {
    private static final Set<RolloutPhase> FINAL = Set.of(RolloutPhase.Healthy, RolloutPhase.Aborted, RolloutPhase.Degraded);
    /** Look again at least this often while watching, in case a watch missed something. */
    private static final Duration REFRESH = Duration.ofSeconds(5);
    private static final String CLEAR_SCREEN = "\033[H\033[2J";
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

    @ParentCommand
    SluiceCli cli;

    @Parameters(index = "0", paramLabel = "NAME", description = "Name of the rollout.")
    String name;

    @Option(names = {"-w", "--watch"}, description = "Keep following the rollout, redrawn on every change, until "
            + "interrupted or --timeout.")
    boolean watch;

    @Option(names = "--until-done", description = "Follow the rollout until it is Healthy, Aborted or Degraded; exit "
            + "0 only when Healthy.")
    boolean untilDone;

    @Mixin
    Output.Mixin output;

    @Option(names = {"-t", "--timeout"}, paramLabel = "DURATION",
            description = "With --watch: stop after this long; with --until-done: give up (exit 1) after this long "
                    + "(e.g. 30s, 5m, 1h). Default: no limit.")
    String timeout;

    @Override
    public Integer call() {
        Duration limit = timeout == null ? null : parseTimeout(timeout);
        if (output.format != null && (watch || untilDone)) {
            throw new CliException("-o " + output.format + " prints the Rollout once; it cannot be combined with --watch or "
                    + "--until-done (kubectl get rollouts.sluice.io NAME -o " + output.format + " --watch streams it)", 2);
        }
        PrintWriter out = cli.spec.commandLine().getOut();
        try (Kube kube = cli.connect()) {
            if (output.format != null) {
                var rollout = Output.rollout(kube, name);
                if (rollout == null) {
                    throw kube.notFound(name);
                }
                out.print(Output.render(output.format, rollout));
                out.flush();
                return 0;
            }
            if (!watch && !untilDone) {
                out.print(render(kube, name, cli.clock.instant()));
                out.flush();
                return 0;
            }
            return watch(kube, out, limit);
        }
    }

    private static Duration parseTimeout(String text) {
        try {
            return Durations.parse(text);
        } catch (RuntimeException e) {
            throw new CliException("--timeout " + text + " is not a duration (e.g. 30s, 5m, 1h)", 2);
        }
    }

    static String render(Kube kube, String name, Instant now) {
        Rollout rollout = kube.rollout(name);
        return StatusView.render(rollout, runs(kube, rollout), events(kube, rollout), now);
    }

    /** The AnalysisRuns this Rollout owns. */
    static List<AnalysisRun> runs(Kube kube, Rollout rollout) {
        String uid = rollout.getMetadata().getUid();
        return kube.client.resources(AnalysisRun.class).inNamespace(kube.namespace)
                .withLabel(Labels.ROLLOUT, rollout.getMetadata().getName()).list().getItems().stream()
                .filter(run -> uid == null || run.getMetadata().getOwnerReferences() == null
                        || run.getMetadata().getOwnerReferences().isEmpty()
                        || run.getMetadata().getOwnerReferences().stream().anyMatch(o -> uid.equals(o.getUid())))
                .toList();
    }

    /**
     * The Events about this Rollout (this incarnation of it, when the events carry its uid). Filtered
     * here rather than with a field selector, which the sandbox API does not evaluate.
     */
    static List<Event> events(Kube kube, Rollout rollout) {
        String name = rollout.getMetadata().getName();
        String uid = rollout.getMetadata().getUid();
        return kube.client.v1().events().inNamespace(kube.namespace).list().getItems().stream()
                .filter(e -> e.getInvolvedObject() != null && name.equals(e.getInvolvedObject().getName())
                        && "Rollout".equals(e.getInvolvedObject().getKind())
                        && (uid == null || e.getInvolvedObject().getUid() == null || uid.equals(e.getInvolvedObject().getUid())))
                .toList();
    }

    private int watch(Kube kube, PrintWriter out, Duration limit) {
        long deadline = limit == null ? Long.MAX_VALUE : System.nanoTime() + limit.toNanos();
        BlockingQueue<Boolean> changes = new LinkedBlockingQueue<>();
        List<Watch> watches = new ArrayList<>();
        try {
            watches.add(kube.client.resources(Rollout.class).inNamespace(kube.namespace).withName(name)
                    .watch(new Signal<>(changes)));
            watches.add(kube.client.resources(AnalysisRun.class).inNamespace(kube.namespace)
                    .withLabel(Labels.ROLLOUT, name).watch(new Signal<>(changes)));
            watches.add(kube.client.v1().events().inNamespace(kube.namespace).watch(new Signal<>(changes)));
            String last = null;
            while (true) {
                Rollout rollout = kube.rollout(name);
                List<AnalysisRun> runs = runs(kube, rollout);
                List<Event> events = events(kube, rollout);
                // what changed, ignoring the ages that grow by themselves
                String state = StatusView.render(rollout, runs, events, Instant.EPOCH);
                if (!state.equals(last)) {
                    String view = StatusView.render(rollout, runs, events, cli.clock.instant());
                    if (cli.terminal) {
                        out.print(CLEAR_SCREEN);
                    } else if (last != null) {
                        out.println();
                    }
                    if (!cli.terminal) {
                        out.println("--- " + CLOCK.format(cli.clock.instant()) + " ---");
                    }
                    out.print(view);
                    out.flush();
                    last = state;
                }
                var status = rollout.getStatus();
                boolean settled = status != null && status.phase != null && FINAL.contains(status.phase)
                        && (status.observedGeneration == null
                        || status.observedGeneration >= Objects.requireNonNullElse(rollout.getMetadata().getGeneration(), 0L));
                if (settled && untilDone) {
                    out.println();
                    out.println("Rollout " + kube.namespace + "/" + name + " is " + status.phase + ".");
                    out.flush();
                    return status.phase == RolloutPhase.Healthy ? 0 : 1;
                }
                Duration wait = REFRESH;
                if (limit != null) {
                    Duration left = Duration.ofNanos(deadline - System.nanoTime());
                    if (left.isNegative() || left.isZero()) {
                        if (!untilDone) {
                            return 0; // watched as long as asked
                        }
                        throw new CliException("timed out after " + timeout + " waiting for rollout \"" + name
                                + "\" to be Healthy, Aborted or Degraded; it is " + status(rollout));
                    }
                    wait = left.compareTo(wait) < 0 ? left : wait;
                }
                if (changes.poll(wait.toMillis(), TimeUnit.MILLISECONDS) != null) {
                    Thread.sleep(50); // let a burst of changes (status, event, run) arrive together
                    changes.clear();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        } finally {
            watches.forEach(Watch::close);
        }
    }

    private static String status(Rollout rollout) {
        return rollout.getStatus() == null || rollout.getStatus().phase == null ? "not reconciled yet"
                : rollout.getStatus().phase.name();
    }

    /** Turns any watch event into a "look again". */
    private record Signal<T>(BlockingQueue<Boolean> changes) implements Watcher<T> {
        @Override
        public void eventReceived(Action action, T resource) {
            changes.offer(Boolean.TRUE);
        }

        @Override
        public void onClose(WatcherException cause) {
            changes.offer(Boolean.TRUE);
        }
    }
}
