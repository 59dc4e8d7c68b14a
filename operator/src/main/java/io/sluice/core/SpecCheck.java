package io.sluice.core;

import io.sluice.api.v1alpha1.RolloutSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * The structural checks the CRD's schema makes on a real API server, repeated in code for the
 * fields the operator cannot work without, so that a Rollout that slipped past validation (an old
 * CRD, a test API without validation) gets a clear InvalidSpec instead of a crash.
 */
public final class SpecCheck {
    private SpecCheck() {
    }

    public static List<Problem> problems(RolloutSpec spec) {
        List<String> missing = new ArrayList<>();
        if (spec == null) {
            return List.of(new Problem("InvalidSpec", "spec is missing"));
        }
        if (spec.source == null || spec.source.git == null || blank(spec.source.git.url)) {
            missing.add("source.git.url");
        }
        if (spec.workloadRef == null || blank(spec.workloadRef.name)) {
            missing.add("workloadRef.name");
        }
        if (spec.strategy == null || spec.strategy.canary == null || spec.strategy.canary.trafficRouting == null
                || spec.strategy.canary.trafficRouting.istio == null
                || spec.strategy.canary.trafficRouting.istio.virtualService == null
                || blank(spec.strategy.canary.trafficRouting.istio.virtualService.name)) {
            missing.add("strategy.canary.trafficRouting.istio.virtualService.name");
        }
        List<Problem> problems = new ArrayList<>();
        if (!missing.isEmpty()) {
            problems.add(new Problem("InvalidSpec", "required field(s) missing: " + String.join(", ", missing)));
        }
        if (spec.source != null && spec.source.git != null) {
            try {
                Durations.parse(spec.source.git.intervalOrDefault());
            } catch (IllegalArgumentException e) {
                problems.add(new Problem("InvalidSpec", "source.git.interval: " + e.getMessage()));
            }
        }
        if (spec.strategy != null && spec.strategy.canary != null && spec.strategy.canary.steps != null) {
            var steps = spec.strategy.canary.steps;
            for (int i = 0; i < steps.size(); i++) {
                var s = steps.get(i);
                if (s == null || s.analysis != null && (s.analysis.templates == null || s.analysis.templates.isEmpty())) {
                    problems.add(new Problem("InvalidSpec", "steps[" + i + "]: an analysis step needs templates"));
                    continue;
                }
                int actions = (s.setWeight != null ? 1 : 0) + (s.pause != null ? 1 : 0) + (s.analysis != null ? 1 : 0);
                if (actions != 1) {
                    problems.add(new Problem("InvalidSpec", "steps[" + i + "]: a step has exactly one of setWeight, "
                            + "pause and analysis (it has " + actions + ")"));
                }
                if (s.setWeight != null && (s.setWeight < 0 || s.setWeight > 100)) {
                    problems.add(new Problem("InvalidSpec", "steps[" + i + "].setWeight: " + s.setWeight
                            + " is not a percentage between 0 and 100"));
                }
                if (s.pause != null && s.pause.duration != null) {
                    try {
                        Durations.parse(s.pause.duration);
                    } catch (IllegalArgumentException e) {
                        problems.add(new Problem("InvalidSpec", "steps[" + i + "].pause.duration: " + e.getMessage()));
                    }
                }
            }
        }
        if (spec.progressDeadlineSeconds != null && spec.progressDeadlineSeconds < 1) {
            problems.add(new Problem("InvalidSpec", "progressDeadlineSeconds: " + spec.progressDeadlineSeconds
                    + " is less than 1"));
        }
        if (spec.strategy != null && spec.strategy.canary != null && spec.strategy.canary.analysis != null
                && (spec.strategy.canary.analysis.templates == null || spec.strategy.canary.analysis.templates.isEmpty())) {
            problems.add(new Problem("InvalidSpec", "strategy.canary.analysis needs templates"));
        }
        return problems;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
