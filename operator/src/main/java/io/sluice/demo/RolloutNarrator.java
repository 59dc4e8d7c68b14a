package io.sluice.demo;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.api.v1alpha1.AnalysisRun;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.Measurement;
import io.sluice.api.v1alpha1.Metric;
import io.sluice.api.v1alpha1.MetricResult;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.api.v1alpha1.RolloutStatus;
import io.sluice.demo.dataplane.VirtualServiceBridge;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Tells what happens to one Rollout as it happens, read from the API like any client would: its phase,
 * steps and weights, every analysis measurement against its condition, each run's verdict, and the
 * split HAProxy actually applies. It looks a few times a second on its own thread.
 */
final class RolloutNarrator implements AutoCloseable {
    private static final long POLL_MILLIS = 200;
    /** Long enough for a few looks: what happened by now has been told after this. */
    static final java.time.Duration CATCH_UP = java.time.Duration.ofMillis(POLL_MILLIS * 5);

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final VirtualServiceBridge bridge;
    private final DemoOutput output;
    private final Thread thread;

    private String lastPhase;
    private String lastStepRevision;
    private int lastStepIndex = -1;
    private Integer lastCanaryWeight;
    private int splitsShown;
    private final Set<String> measurementsShown = new HashSet<>();
    private final Map<String, String> runPhases = new HashMap<>();

    RolloutNarrator(KubernetesClient client, String namespace, String name, VirtualServiceBridge bridge,
            DemoOutput output) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
        this.bridge = bridge;
        this.output = output;
        this.thread = Thread.ofPlatform().name("demo-narrator").daemon().unstarted(this::run);
    }

    RolloutNarrator start() {
        thread.start();
        return this;
    }

    private void run() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                look();
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // the sandbox is going away, or a passing API error: look again next time
                try {
                    Thread.sleep(POLL_MILLIS * 5);
                } catch (InterruptedException stop) {
                    return;
                }
            }
        }
    }

    private void look() {
        Rollout rollout = client.resources(Rollout.class).inNamespace(namespace).withName(name).get();
        if (rollout == null || rollout.getStatus() == null) {
            return;
        }
        RolloutStatus status = rollout.getStatus();
        List<CanaryStep> steps = rollout.getSpec().strategy.canary.steps;

        narrateAnalysisRuns();

        // A step can pass between two looks: tell every step reached since the last look, in order.
        if (status.canaryRevision != null && status.currentStepIndex != null) {
            int current = status.currentStepIndex;
            // the same canary further on, or a new canary (or a retry) from its first step
            int from = status.canaryRevision.equals(lastStepRevision) && current >= lastStepIndex ? lastStepIndex + 1 : 0;
            for (int index = from; index <= current; index++) {
                if (index < steps.size()) {
                    output.line("step %d/%d   %s", index + 1, steps.size(), describe(steps.get(index), status,
                            index == current));
                } else {
                    output.line("steps done  promoting %s", shortRevision(status.canaryRevision));
                }
            }
            lastStepRevision = status.canaryRevision;
            lastStepIndex = current;
        }

        Integer canaryWeight = status.canaryWeight == null ? 0 : status.canaryWeight;
        if (!canaryWeight.equals(lastCanaryWeight) && lastCanaryWeight != null) {
            output.line("weight   canary %d%% / stable %d%% (desired canary %d%%)", canaryWeight, 100 - canaryWeight,
                    status.phase == RolloutPhase.Aborted ? 0 : desiredWeight(steps, status));
        }
        lastCanaryWeight = canaryWeight;

        List<VirtualServiceBridge.Split> splits = bridge.applied();
        for (int i = splitsShown; i < splits.size(); i++) {
            output.line("haproxy  now routes stable %d%% / canary %d%%", splits.get(i).stablePercent(),
                    splits.get(i).canaryPercent());
        }
        splitsShown = splits.size();

        String phase = status.phase == null ? null : status.phase.name();
        if (phase != null && !phase.equals(lastPhase)) {
            output.line("rollout  %s: %s", phase, status.message);
        }
        lastPhase = phase;
    }

    private void narrateAnalysisRuns() {
        for (AnalysisRun run : client.resources(AnalysisRun.class).inNamespace(namespace).list().getItems()) {
            if (run.getStatus() == null) {
                continue;
            }
            String runName = run.getMetadata().getName();
            Map<String, Metric> metrics = run.getSpec().metrics.stream()
                    .collect(Collectors.toMap(m -> m.name, m -> m, (a, b) -> a));
            for (MetricResult result : run.getStatus().metricResults) {
                Metric metric = metrics.get(result.name);
                for (Measurement measurement : result.measurements) {
                    if (measurement.finishedAt == null
                            || !measurementsShown.add(runName + "/" + result.name + "/" + measurement.finishedAt)) {
                        continue;
                    }
                    output.line("measure  %-15s %-10s %-22s %s", result.name, value(measurement),
                            metric == null ? "" : condition(metric), verdict(measurement));
                }
            }
            String phase = run.getStatus().phase == null ? null : run.getStatus().phase.name();
            if (phase != null && !Objects.equals(runPhases.put(runName, phase), phase)
                    && !phase.equals("Running") && !phase.equals("Pending")) {
                output.line("analysis %s: %s%s", runName, phase,
                        run.getStatus().message == null ? "" : " (" + run.getStatus().message + ")");
            }
        }
    }

    private static String describe(CanaryStep step, RolloutStatus status, boolean current) {
        if (step.setWeight != null) {
            return "setWeight " + step.setWeight + (current ? ": canary weight " + (status.canaryWeight == null ? 0
                    : status.canaryWeight) + "% -> desired " + step.setWeight + "%" : ": done");
        }
        if (step.analysis != null) {
            return "analysis " + step.analysis.templates.stream().map(t -> t.name).collect(Collectors.joining(", "))
                    + " of canary " + shortRevision(status.canaryRevision);
        }
        if (step.pause != null) {
            return step.pause.duration == null ? "pause until promoted" : "pause " + step.pause.duration;
        }
        return "(unknown step)";
    }

    /** The weight the current step asks for: the last setWeight at or before it. */
    private static int desiredWeight(List<CanaryStep> steps, RolloutStatus status) {
        if (status.canaryRevision == null || status.currentStepIndex == null) {
            return 0;
        }
        int desired = 0;
        for (int i = 0; i <= Math.min(status.currentStepIndex, steps.size() - 1); i++) {
            if (steps.get(i).setWeight != null) {
                desired = steps.get(i).setWeight;
            }
        }
        return status.currentStepIndex >= steps.size() ? 0 : desired;
    }

    private static String value(Measurement measurement) {
        if (measurement.value == null) {
            return "(none)";
        }
        try {
            return String.format("%.4f", Double.parseDouble(measurement.value));
        } catch (NumberFormatException e) {
            return measurement.value;
        }
    }

    private static String condition(Metric metric) {
        if (metric.successCondition != null) {
            return "want " + metric.successCondition;
        }
        return metric.failureCondition == null ? "" : "fail if " + metric.failureCondition;
    }

    private static String verdict(Measurement measurement) {
        String phase = measurement.phase == null ? "?" : measurement.phase.name();
        return switch (phase) {
            case "Successful" -> "ok";
            case "Failed" -> "BREACHED";
            default -> phase + (measurement.message == null ? "" : ": " + measurement.message);
        };
    }

    static String shortRevision(String revision) {
        return revision == null ? "-" : revision.substring(0, Math.min(8, revision.length()));
    }

    @Override
    public void close() {
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
