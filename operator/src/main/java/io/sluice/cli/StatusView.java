package io.sluice.cli;

import io.fabric8.kubernetes.api.model.Event;
import io.sluice.api.v1alpha1.AnalysisRun;
import io.sluice.api.v1alpha1.AnalysisRunReference;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.Measurement;
import io.sluice.api.v1alpha1.Metric;
import io.sluice.api.v1alpha1.MetricResult;
import io.sluice.api.v1alpha1.RevisionOutcome;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutStatus;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/** Renders what `kubectl sluice status` shows: a pure function of the Rollout, its AnalysisRuns and Events. */
final class StatusView {
    static final int EVENTS_SHOWN = 5;
    static final String CURRENT = "[>]";
    static final String DONE = "[x]";
    static final String PENDING = "[ ]";
    static final String ABORTED = "[!]";

    private StatusView() {
    }

    /**
     * The fields of {@code rollout} that are ignored: those the operator reported (status.ignoredFields) and
     * those this plugin could not read itself (it may be older or newer than the operator).
     */
    static List<String> ignoredFields(Rollout rollout) {
        java.util.TreeSet<String> fields = new java.util.TreeSet<>(io.sluice.api.UnknownFields.of(rollout));
        if (rollout.getStatus() != null && rollout.getStatus().ignoredFields != null) {
            fields.addAll(rollout.getStatus().ignoredFields);
        }
        return List.copyOf(fields);
    }

    static String render(Rollout rollout, List<AnalysisRun> runs, List<Event> events, Instant now) {
        RolloutStatus s = rollout.getStatus() != null ? rollout.getStatus() : new RolloutStatus();
        List<CanaryStep> steps = steps(rollout);
        List<String> out = new ArrayList<>();
        boolean inFlight = s.canaryRevision != null;
        boolean aborted = inFlight && s.abortedRevision != null && s.canaryRevision.equals(s.abortedRevision.revision);

        out.add(field("Name", rollout.getMetadata().getName()));
        out.add(field("Namespace", rollout.getMetadata().getNamespace()));
        String phase = s.phase == null ? "Unknown (not reconciled yet)" : s.phase.name();
        if (Boolean.TRUE.equals(rollout.getSpec().paused) && s.phase != io.sluice.api.v1alpha1.RolloutPhase.Paused) {
            phase += " (pause requested)";
        }
        out.add(field("Phase", phase));
        if (s.message != null) {
            out.add(field("Message", s.message));
        }
        List<String> ignored = ignoredFields(rollout);
        if (!ignored.isEmpty()) {
            out.add(field("Ignored", String.join(", ", ignored) + " (unknown to Sluice: a typo, or a newer version's)"));
        }
        out.add(field("Stable", Text.revision(s.stableRevision)));
        out.add(field("Canary", inFlight ? Text.revision(s.canaryRevision) + (aborted ? " (aborted)" : "") : Text.NONE));
        String waiting = waiting(rollout, s, steps, aborted);
        if (waiting != null) {
            out.add(field("Waiting", waiting));
        }
        int weight = s.canaryWeight == null ? 0 : s.canaryWeight;
        int desired = desiredWeight(s, steps, aborted);
        int stableWeight = s.stableWeight != null ? s.stableWeight : 100 - weight;
        out.add(field("Traffic", "canary " + weight + "% " + Text.bar(weight, 20) + " stable " + stableWeight + "%"));
        out.add(field("Desired", "canary " + desired + "%" + (desired == weight ? "" : " (not there yet)")));

        out.add("");
        out.addAll(stepLines(s, steps, inFlight, aborted));

        List<String> analysis = analysisLines(rollout, s, runs);
        if (!analysis.isEmpty()) {
            out.add("");
            out.addAll(analysis);
        }

        out.add("");
        out.addAll(eventLines(events, now));
        return String.join("\n", out) + "\n";
    }

    private static String field(String name, String value) {
        return Text.pad(name + ":", 11) + value;
    }

    /**
     * The source's newest commit when it is neither stable nor the canary, and why it has not started: a
     * commit held back by spec.paused (or by a promotion that finishes first) shows nowhere else. Null when
     * there is none, or while it is being deployed as the first revision.
     */
    static String waiting(Rollout rollout, RolloutStatus s, List<CanaryStep> steps, boolean aborted) {
        String revision = s.source == null ? null : s.source.revision;
        if (revision == null || revision.equals(s.stableRevision) || revision.equals(s.canaryRevision)) {
            return null;
        }
        boolean paused = rollout.getSpec() != null && rollout.getSpec().pauseRequested();
        if (s.stableRevision == null && !paused) {
            return null;
        }
        String why;
        if (paused) {
            why = "paused: `kubectl sluice resume " + rollout.getMetadata().getName() + "` starts it";
        } else if (s.canaryRevision != null && !aborted && s.currentStepIndex != null && s.currentStepIndex >= steps.size()) {
            why = "starts once canary " + Text.revision(s.canaryRevision) + " is promoted";
        } else {
            why = "not started yet; see the message";
        }
        return "revision " + Text.revision(revision) + " (" + why + ")";
    }

    static List<CanaryStep> steps(Rollout rollout) {
        var strategy = rollout.getSpec() == null || rollout.getSpec().strategy == null ? null : rollout.getSpec().strategy.canary;
        return strategy == null || strategy.steps == null ? List.of() : strategy.steps;
    }

    /**
     * The canary weight the rollout is heading for: that of the last setWeight step reached; 0 with no
     * canary, after an abort, and while promoting (traffic returns to the promoted stable).
     */
    static int desiredWeight(RolloutStatus s, List<CanaryStep> steps, boolean aborted) {
        if (s.canaryRevision == null || aborted || s.currentStepIndex == null || s.currentStepIndex >= steps.size()) {
            return 0;
        }
        for (int i = s.currentStepIndex; i >= 0; i--) {
            if (steps.get(i).setWeight != null) {
                return steps.get(i).setWeight;
            }
        }
        return 0;
    }

    private static List<String> stepLines(RolloutStatus s, List<CanaryStep> steps, boolean inFlight, boolean aborted) {
        List<String> out = new ArrayList<>();
        if (steps.isEmpty()) {
            out.add("Steps:     none (a new revision is promoted as soon as it is available)");
            return out;
        }
        int current = inFlight && s.currentStepIndex != null ? s.currentStepIndex : -1;
        String heading;
        if (!inFlight) {
            heading = "Steps (no canary in flight):";
        } else if (aborted) {
            heading = "Steps (aborted at step " + Math.min(current + 1, steps.size()) + " of " + steps.size() + "):";
        } else if (current >= steps.size()) {
            heading = "Steps (all " + steps.size() + " done, promoting):";
        } else {
            heading = "Steps (step " + (current + 1) + " of " + steps.size() + "):";
        }
        out.add(heading);
        for (int i = 0; i < steps.size(); i++) {
            String marker;
            if (!inFlight) {
                marker = PENDING;
            } else if (i < current) {
                marker = DONE;
            } else if (i == current) {
                marker = aborted ? ABORTED : CURRENT;
            } else {
                marker = PENDING;
            }
            out.add("  " + marker + " " + (i + 1) + ". " + describe(steps.get(i)));
        }
        if (inFlight && !aborted && current >= steps.size()) {
            out.add("  " + CURRENT + " promote: stable takes revision " + Text.revision(s.canaryRevision));
        }
        return out;
    }

    static String describe(CanaryStep step) {
        if (step.setWeight != null) {
            return "setWeight " + step.setWeight + "%";
        }
        if (step.pause != null) {
            return step.pause.duration != null ? "pause " + step.pause.duration : "pause until promoted";
        }
        if (step.analysis != null && step.analysis.templates != null) {
            return "analysis " + step.analysis.templates.stream().map(t -> t.name).collect(Collectors.joining(", "));
        }
        return "(empty step)";
    }

    // ---- analysis ---------------------------------------------------------------------------------

    /**
     * The runs the status refers to; when it refers to none, the runs of the canary in flight or, with
     * none, of the last revision in the history.
     */
    static List<AnalysisRun> relevantRuns(Rollout rollout, RolloutStatus s, List<AnalysisRun> runs) {
        List<String> referenced = new ArrayList<>();
        for (AnalysisRunReference ref : java.util.Arrays.asList(s.stepAnalysis, s.backgroundAnalysis)) {
            if (ref != null && ref.name != null) {
                referenced.add(ref.name);
            }
        }
        String revision = s.canaryRevision != null ? s.canaryRevision
                : s.history != null && !s.history.isEmpty() ? s.history.getFirst().revision : null;
        String prefix = revision == null ? null
                : rollout.getMetadata().getName() + "-" + revision.substring(0, Math.min(8, revision.length())) + "-";
        return runs.stream()
                .filter(r -> referenced.contains(r.getMetadata().getName())
                        || prefix != null && r.getMetadata().getName().startsWith(prefix))
                .sorted(Comparator.comparing((AnalysisRun r) -> Objects.requireNonNullElse(r.getMetadata().getCreationTimestamp(), ""))
                        .thenComparing(r -> r.getMetadata().getName()))
                .toList();
    }

    private static List<String> analysisLines(Rollout rollout, RolloutStatus s, List<AnalysisRun> runs) {
        List<AnalysisRun> shown = relevantRuns(rollout, s, runs);
        List<String> out = new ArrayList<>();
        if (shown.isEmpty()) {
            return out;
        }
        out.add("Analysis:");
        for (AnalysisRun run : shown) {
            String name = run.getMetadata().getName();
            String kind = name.contains("-bg-") ? "background" : "step";
            var rs = run.getStatus();
            String phase = rs == null || rs.phase == null ? "Pending" : rs.phase.name();
            out.add("  " + name + " (" + kind + "): " + phase
                    + (rs != null && rs.message != null && !rs.message.isBlank() ? " - " + rs.message : ""));
            List<List<String>> rows = new ArrayList<>();
            for (Metric metric : run.getSpec() == null || run.getSpec().metrics == null ? List.<Metric>of() : run.getSpec().metrics) {
                MetricResult result = rs == null || rs.metricResults == null ? null : rs.metricResults.stream()
                        .filter(m -> metric.name.equals(m.name)).findFirst().orElse(null);
                rows.add(metricRow(metric, result));
            }
            if (!rows.isEmpty()) {
                for (String line : Text.table(List.of("METRIC", "LAST VALUE", "CONDITION", "VERDICT", "MEASURED",
                        "OK", "FAILED", "INCONCLUSIVE", "ERRORS"), rows)) {
                    out.add("    " + line);
                }
            }
        }
        return out;
    }

    private static List<String> metricRow(Metric metric, MetricResult result) {
        Measurement last = result == null || result.measurements == null || result.measurements.isEmpty() ? null
                : result.measurements.getLast();
        String value = last == null ? Text.NONE
                : last.phase == io.sluice.api.v1alpha1.AnalysisPhase.Error ? "(error)"
                : last.value == null || last.value.isEmpty() ? "(no data)" : last.value;
        List<String> conditions = new ArrayList<>();
        if (metric.successCondition != null) {
            conditions.add("ok if " + metric.successCondition);
        }
        if (metric.failureCondition != null) {
            conditions.add("fails if " + metric.failureCondition);
        }
        String verdict = result == null || result.phase == null ? "Pending" : result.phase.name();
        if (Boolean.TRUE.equals(metric.dryRun)) {
            verdict += " (dry run)";
        }
        return List.of(metric.name, value, String.join("; ", conditions), verdict,
                count(result == null ? null : result.count), count(result == null ? null : result.successful),
                count(result == null ? null : result.failed), count(result == null ? null : result.inconclusive),
                count(result == null ? null : result.error));
    }

    private static String count(Integer n) {
        return n == null ? "0" : n.toString();
    }

    // ---- events -----------------------------------------------------------------------------------

    private static List<String> eventLines(List<Event> events, Instant now) {
        List<String> out = new ArrayList<>();
        if (events.isEmpty()) {
            out.add("Events:    none");
            return out;
        }
        List<Event> recent = events.stream().sorted(Comparator.comparing(e -> instant(eventTime(e)))).toList();
        recent = recent.subList(Math.max(0, recent.size() - EVENTS_SHOWN), recent.size());
        out.add("Events (latest " + recent.size() + "):");
        List<List<String>> rows = new ArrayList<>();
        for (Event e : recent) {
            rows.add(List.of(Text.age(eventTime(e), now), Text.orNone(e.getType()), Text.orNone(e.getReason()),
                    Text.orNone(e.getMessage())));
        }
        for (String line : Text.table(List.of("AGE", "TYPE", "REASON", "MESSAGE"), rows)) {
            out.add("  " + line);
        }
        return out;
    }

    static String eventTime(Event e) {
        if (e.getLastTimestamp() != null) {
            return e.getLastTimestamp();
        }
        if (e.getEventTime() != null && e.getEventTime().getTime() != null) {
            return e.getEventTime().getTime();
        }
        return Objects.requireNonNullElse(e.getMetadata().getCreationTimestamp(), "");
    }

    private static Instant instant(String timestamp) {
        try {
            return Instant.parse(timestamp);
        } catch (RuntimeException e) {
            return Instant.EPOCH;
        }
    }

    /** The outcome recorded for a revision, for the history. */
    static String outcome(RevisionOutcome o) {
        return o.reason + (o.message != null ? ": " + o.message : "");
    }
}
