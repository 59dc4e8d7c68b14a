package io.sluice.demo;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.api.v1alpha1.AnalysisRun;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.Condition;
import io.sluice.api.v1alpha1.Measurement;
import io.sluice.api.v1alpha1.Metric;
import io.sluice.api.v1alpha1.MetricResult;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.api.v1alpha1.RolloutSpec;
import io.sluice.api.v1alpha1.RolloutStatus;
import io.sluice.demo.dataplane.VirtualServiceBridge;
import io.sluice.workload.Labels;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Tells what happens to the sandbox's Rollouts as it happens, read from the API like any client would:
 * every change of a Rollout's phase, status message or conditions (type, status, reason), its steps and
 * weights, every analysis measurement against its condition, each run's verdict, and the split HAProxy
 * actually applies. The demo's own Rollout is told plainly; any other (one a user applied, in any
 * namespace) is told the same way, each line naming it. What did not change is not told again. It
 * looks a few times a second on its own thread.
 */
final class RolloutNarrator implements AutoCloseable {
    private static final long POLL_MILLIS = 200;
    private static final String API_VERSION = "sluice.io/v1alpha1";
    /**
     * Reads what users wrote the way the operator does, leniently: a Rollout with a field this Sluice does
     * not know (a typo) must neither stop the narration of every other Rollout nor go untold itself.
     */
    private static final KubernetesSerialization LENIENT = new KubernetesSerialization(
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES), false);
    /** Long enough for a few looks: what happened by now has been told after this. */
    static final java.time.Duration CATCH_UP = java.time.Duration.ofMillis(POLL_MILLIS * 5);

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final VirtualServiceBridge bridge;
    private final DemoOutput output;
    private final Thread thread;

    /** What has been told of each Rollout, by uid: a Rollout deleted and created again is a new one. */
    private final Map<String, Told> told = new HashMap<>();
    private int splitsShown;
    private final Set<String> measurementsShown = new HashSet<>();
    private final Map<String, String> runPhases = new HashMap<>();

    /**
     * @param namespace the namespace of the demo's own Rollout; Rollouts of every namespace are told
     * @param name the demo's own Rollout, told without its name; {@code bridge} routes its traffic
     */
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
        List<Rollout> rollouts = new ArrayList<>();
        for (GenericKubernetesResource item : client.genericKubernetesResources(API_VERSION, "Rollout").inAnyNamespace()
                .list().getItems()) {
            rollouts.add(readRollout(item));
        }
        // the demo's own first, then the others by namespace and name
        rollouts.sort(Comparator.comparing((Rollout r) -> !isDemo(r.getMetadata().getNamespace(), r.getMetadata().getName()))
                .thenComparing(r -> r.getMetadata().getNamespace()).thenComparing(r -> r.getMetadata().getName()));

        narrateAnalysisRuns();

        Set<String> present = new HashSet<>();
        for (Rollout rollout : rollouts) {
            String key = key(rollout);
            present.add(key);
            Told about = told.computeIfAbsent(key,
                    k -> new Told(who(rollout.getMetadata().getNamespace(), rollout.getMetadata().getName())));
            if (rollout.getStatus() == null) {
                continue;
            }
            about.progress(rollout);
            if (about.who.isEmpty()) {
                narrateSplits();
            }
            about.status(rollout.getStatus());
        }
        narrateSplits();
        told.entrySet().removeIf(gone -> {
            if (present.contains(gone.getKey())) {
                return false;
            }
            output.line("rollout  %sdeleted", gone.getValue().who);
            return true;
        });
    }

    private void narrateSplits() {
        List<VirtualServiceBridge.Split> splits = bridge.applied();
        for (int i = splitsShown; i < splits.size(); i++) {
            output.line("haproxy  now routes stable %d%% / canary %d%%", splits.get(i).stablePercent(),
                    splits.get(i).canaryPercent());
        }
        splitsShown = splits.size();
    }

    private boolean isDemo(String rolloutNamespace, String rolloutName) {
        return namespace.equals(rolloutNamespace) && name.equals(rolloutName);
    }

    /** How a line names a Rollout: not at all for the demo's own, by name in its namespace, else namespace/name. */
    private String who(String rolloutNamespace, String rolloutName) {
        if (isDemo(rolloutNamespace, rolloutName)) {
            return "";
        }
        return (namespace.equals(rolloutNamespace) ? rolloutName : rolloutNamespace + "/" + rolloutName) + ": ";
    }

    /**
     * The parts of a Rollout the narration needs; a spec that cannot be read even leniently (a value of the
     * wrong type) is left out, its status, which the operator writes, is still told.
     */
    private static Rollout readRollout(GenericKubernetesResource item) {
        Rollout rollout = new Rollout();
        rollout.setMetadata(item.getMetadata());
        rollout.setSpec(readLeniently(item.getAdditionalProperties().get("spec"), RolloutSpec.class));
        rollout.setStatus(readLeniently(item.getAdditionalProperties().get("status"), RolloutStatus.class));
        return rollout;
    }

    private static <T> T readLeniently(Object value, Class<T> type) {
        if (value == null) {
            return null;
        }
        try {
            return LENIENT.convertValue(value, type);
        } catch (RuntimeException unreadable) {
            return null;
        }
    }

    private static String key(Rollout rollout) {
        String uid = rollout.getMetadata().getUid();
        return uid != null ? uid : rollout.getMetadata().getNamespace() + "/" + rollout.getMetadata().getName();
    }

    /** What has been told of one Rollout; each method tells what changed since. */
    private final class Told {
        /** The prefix naming the Rollout in each line: empty for the demo's own. */
        final String who;
        private boolean statusTold;
        private String phase;
        private String message;
        /** By type: the conditions as last told. */
        private final Map<String, Condition> conditions = new LinkedHashMap<>();
        private List<String> ignoredFields = List.of();
        private String stepRevision;
        private int stepIndex = -1;
        private Integer canaryWeight;

        Told(String who) {
            this.who = who;
        }

        /** The steps reached and the canary weight. */
        void progress(Rollout rollout) {
            RolloutStatus status = rollout.getStatus();
            List<CanaryStep> steps = steps(rollout);
            // A step can pass between two looks: tell every step reached since the last look, in order.
            if (status.canaryRevision != null && status.currentStepIndex != null) {
                int current = status.currentStepIndex;
                // the same canary further on, or a new canary (or a retry) from its first step
                int from = status.canaryRevision.equals(stepRevision) && current >= stepIndex ? stepIndex + 1 : 0;
                for (int index = from; index <= current; index++) {
                    if (index < steps.size()) {
                        output.line("step %d/%d   %s%s", index + 1, steps.size(), who, describe(steps.get(index), status,
                                index == current));
                    } else {
                        output.line("steps done  %spromoting %s", who, shortRevision(status.canaryRevision));
                    }
                }
                stepRevision = status.canaryRevision;
                stepIndex = current;
            }

            Integer weight = status.canaryWeight == null ? 0 : status.canaryWeight;
            if (!weight.equals(canaryWeight) && canaryWeight != null) {
                output.line("weight   %scanary %d%% / stable %d%% (desired canary %d%%)", who, weight, 100 - weight,
                        status.phase == RolloutPhase.Aborted ? 0 : desiredWeight(steps, status));
            }
            canaryWeight = weight;
        }

        /** One line when the phase or the message changed, and one per condition whose status or reason did. */
        void status(RolloutStatus status) {
            String newPhase = status.phase == null ? null : status.phase.name();
            if ((!statusTold || !Objects.equals(newPhase, phase) || !Objects.equals(status.message, message))
                    && (newPhase != null || status.message != null)) {
                output.line("rollout  %s%s", who, newPhase == null ? status.message
                        : newPhase + (status.message == null ? "" : ": " + status.message));
                statusTold = true;
            }
            phase = newPhase;
            message = status.message;

            List<String> ignored = status.ignoredFields == null ? List.of() : status.ignoredFields;
            if (!ignored.equals(ignoredFields) && !ignored.isEmpty()) {
                output.line("rollout  %signores what this Sluice cannot read: %s", who, String.join(", ", ignored));
            }
            ignoredFields = ignored;

            Set<String> types = new HashSet<>();
            for (Condition condition : status.conditions == null ? List.<Condition>of() : status.conditions) {
                if (condition == null || condition.type == null) {
                    continue;
                }
                types.add(condition.type);
                Condition before = conditions.put(condition.type, condition);
                if (before == null || !Objects.equals(before.status, condition.status)
                        || !Objects.equals(before.reason, condition.reason)) {
                    // the message once: most often it is the Rollout's message, just told
                    boolean saysMore = condition.message != null && !condition.message.equals(status.message);
                    output.line("condition %s%s=%s (%s)%s", who, condition.type, condition.status, condition.reason,
                            saysMore ? ": " + condition.message : "");
                }
            }
            conditions.keySet().removeIf(type -> {
                if (types.contains(type)) {
                    return false;
                }
                output.line("condition %s%s removed", who, type);
                return true;
            });
        }
    }

    private static List<CanaryStep> steps(Rollout rollout) {
        var spec = rollout.getSpec();
        if (spec == null || spec.strategy == null || spec.strategy.canary == null || spec.strategy.canary.steps == null) {
            return List.of();
        }
        return spec.strategy.canary.steps;
    }

    private void narrateAnalysisRuns() {
        for (GenericKubernetesResource item : client.genericKubernetesResources(API_VERSION, "AnalysisRun")
                .inAnyNamespace().list().getItems()) {
            AnalysisRun run = readLeniently(item, AnalysisRun.class);
            if (run == null || run.getStatus() == null) {
                continue;
            }
            String runNamespace = run.getMetadata().getNamespace();
            String runKey = runNamespace + "/" + run.getMetadata().getName();
            Map<String, String> labels = run.getMetadata().getLabels();
            String rollout = labels == null ? null : labels.get(Labels.ROLLOUT);
            String whose = rollout == null ? "" : who(runNamespace, rollout);
            Map<String, Metric> metrics = run.getSpec() == null || run.getSpec().metrics == null ? Map.of()
                    : run.getSpec().metrics.stream().filter(m -> m.name != null)
                            .collect(Collectors.toMap(m -> m.name, m -> m, (a, b) -> a));
            for (MetricResult result : run.getStatus().metricResults == null ? List.<MetricResult>of()
                    : run.getStatus().metricResults) {
                Metric metric = metrics.get(result.name);
                for (Measurement measurement : result.measurements == null ? List.<Measurement>of() : result.measurements) {
                    if (measurement.finishedAt == null
                            || !measurementsShown.add(runKey + "/" + result.name + "/" + measurement.finishedAt)) {
                        continue;
                    }
                    output.line("measure  %s%-15s %-10s %-22s %s", whose, result.name, value(measurement),
                            metric == null ? "" : condition(metric), verdict(measurement));
                }
            }
            String phase = run.getStatus().phase == null ? null : run.getStatus().phase.name();
            if (phase != null && !Objects.equals(runPhases.put(runKey, phase), phase)
                    && !phase.equals("Running") && !phase.equals("Pending")) {
                output.line("analysis %s: %s%s", run.getMetadata().getName(), phase,
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
