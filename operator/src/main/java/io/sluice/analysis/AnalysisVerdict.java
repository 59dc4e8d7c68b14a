package io.sluice.analysis;

import io.sluice.api.v1alpha1.AnalysisPhase;
import io.sluice.api.v1alpha1.Metric;
import io.sluice.api.v1alpha1.MetricResult;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The verdict of a whole analysis run: the worst phase among its metrics that are not dryRun.
 *
 * <p>Worst first: <b>Failed</b> &gt; <b>Error</b> &gt; <b>Inconclusive</b> &gt; Running &gt; Pending &gt;
 * Successful. Failed and Error both fail the run (the rollout is rolled back); Failed ranks first
 * because a breached SLO is a finding about the canary, and the message that names it says more
 * than "could not measure". Inconclusive pauses the rollout for a person to decide.
 *
 * <p>A run ends as soon as one decisive metric is Failed, Error or Inconclusive: more measurements
 * cannot undo it, and a breach must act at once. It is Successful only when every metric, dryRun
 * ones included, has completed and every decisive one is Successful. dryRun metrics that did not
 * succeed are mentioned in the message, never decisive.
 *
 * @param phase   the run's phase
 * @param message one sentence: the deciding metric with its value and condition, or the progress
 */
public record AnalysisVerdict(AnalysisPhase phase, String message) {

    private static final List<AnalysisPhase> WORST_FIRST = List.of(AnalysisPhase.Failed, AnalysisPhase.Error,
            AnalysisPhase.Inconclusive, AnalysisPhase.Running, AnalysisPhase.Pending, AnalysisPhase.Successful);

    /**
     * The verdict of the metrics' results so far.
     *
     * @param metrics the run's metrics, in spec order (ties go to the first)
     * @param results their results, by name; a metric without one is Pending
     */
    public static AnalysisVerdict of(List<Metric> metrics, List<MetricResult> results) {
        Map<String, MetricResult> byName = results.stream()
                .collect(Collectors.toMap(r -> r.name, Function.identity(), (a, b) -> b));
        List<Metric> decisive = metrics.stream().filter(m -> !Boolean.TRUE.equals(m.dryRun)).toList();
        String dryRunNotes = dryRunNotes(metrics, byName);

        Optional<Metric> worst = decisive.stream()
                .min(Comparator.comparingInt(m -> WORST_FIRST.indexOf(phaseOf(byName.get(m.name)))));
        if (worst.isPresent()) {
            AnalysisPhase phase = phaseOf(byName.get(worst.get().name));
            if (phase == AnalysisPhase.Failed || phase == AnalysisPhase.Error || phase == AnalysisPhase.Inconclusive) {
                return new AnalysisVerdict(phase,
                        MetricAssessment.describe(worst.get(), byName.get(worst.get().name)) + dryRunNotes);
            }
        }

        boolean allCompleted = metrics.stream().allMatch(m -> phaseOf(byName.get(m.name)).isCompleted());
        if (allCompleted) {
            String summary = decisive.isEmpty()
                    ? "every metric is dryRun, so none decides"
                    : "all metrics successful: " + decisive.stream()
                            .map(m -> m.name + " " + byName.get(m.name).successful + " of " + byName.get(m.name).count)
                            .collect(Collectors.joining(", "));
            return new AnalysisVerdict(AnalysisPhase.Successful, summary + dryRunNotes);
        }

        boolean started = metrics.stream().anyMatch(m -> phaseOf(byName.get(m.name)) != AnalysisPhase.Pending);
        List<String> progress = new ArrayList<>();
        for (Metric metric : metrics) {
            if (!phaseOf(byName.get(metric.name)).isCompleted()) {
                progress.add(MetricAssessment.describe(metric, byName.get(metric.name)));
            }
        }
        return new AnalysisVerdict(started ? AnalysisPhase.Running : AnalysisPhase.Pending,
                "measuring: " + String.join("; ", progress) + dryRunNotes);
    }

    private static AnalysisPhase phaseOf(MetricResult result) {
        return result == null || result.phase == null ? AnalysisPhase.Pending : result.phase;
    }

    private static String dryRunNotes(List<Metric> metrics, Map<String, MetricResult> byName) {
        StringBuilder notes = new StringBuilder();
        for (Metric metric : metrics) {
            AnalysisPhase phase = phaseOf(byName.get(metric.name));
            if (Boolean.TRUE.equals(metric.dryRun) && phase.isCompleted() && phase != AnalysisPhase.Successful) {
                notes.append("; dryRun, not decisive: ").append(MetricAssessment.describe(metric, byName.get(metric.name)));
            }
        }
        return notes.toString();
    }
}
