package io.sluice.core;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.api.v1alpha1.Condition;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.api.v1alpha1.RolloutStatus;
import io.sluice.api.v1alpha1.SourceStatus;
import io.sluice.source.GitSnapshot;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Decides a Rollout's conditions about its source and references, and the events when they change.
 * Pure: no I/O, the time is passed in. When something is wrong the phase is Degraded with the
 * problem as message; otherwise phase and message are left to the delivery planner.
 */
public final class ValidationPlanner {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    /** The source as read: a snapshot with its object count, or the problem that stopped it. */
    public record SourceOutcome(Optional<GitSnapshot> snapshot, int objectCount, Optional<Problem> problem) {
        public static SourceOutcome read(GitSnapshot snapshot, int objectCount) {
            return new SourceOutcome(Optional.of(snapshot), objectCount, Optional.empty());
        }

        public static SourceOutcome failed(Problem problem) {
            return new SourceOutcome(Optional.empty(), 0, Optional.of(problem));
        }
    }

    /**
     * The status to write and the events to record. {@code problem} is the failing condition's
     * message when the source or a reference is wrong; it is empty when they are in order, whatever
     * phase the previous status had (a Degraded phase set by the delivery planner is not a
     * validation problem and must not be treated as one).
     */
    public record Plan(RolloutStatus status, List<RolloutEvent> events, Optional<String> problem) {
    }

    private ValidationPlanner() {
    }

    /**
     * @param referenceProblems problems with the references; when the source failed, only those
     *                          that could be checked without it (analysis templates)
     */
    public static Plan plan(Rollout rollout, SourceOutcome source, List<Problem> referenceProblems, Instant now) {
        RolloutStatus previous = rollout.getStatus() != null ? rollout.getStatus() : new RolloutStatus();
        RolloutStatus next = SERIALIZATION.clone(previous);
        long generation = Optional.ofNullable(rollout.getMetadata().getGeneration()).orElse(0L);
        next.observedGeneration = generation;

        List<Condition> conditions = previous.conditions;
        if (source.problem().isPresent()) {
            Problem p = source.problem().get();
            conditions = Conditions.with(conditions, ConditionTypes.SOURCE_READY, Condition.FALSE, p.reason(), p.message(), generation, now);
        } else {
            GitSnapshot snapshot = source.snapshot().orElseThrow();
            next.source = new SourceStatus(snapshot.revision(), snapshot.resolvedRef());
            conditions = Conditions.with(conditions, ConditionTypes.SOURCE_READY, Condition.TRUE, "Fetched",
                    "revision " + shortRevision(snapshot.revision()) + " of " + snapshot.resolvedRef() + ": "
                            + source.objectCount() + " object(s)", generation, now);
        }
        if (!referenceProblems.isEmpty()) {
            Problem first = referenceProblems.getFirst();
            conditions = Conditions.with(conditions, ConditionTypes.REFERENCES_RESOLVED, Condition.FALSE, first.reason(),
                    String.join("; ", referenceProblems.stream().map(Problem::message).toList()), generation, now);
        } else if (source.problem().isPresent()) {
            conditions = Conditions.with(conditions, ConditionTypes.REFERENCES_RESOLVED, Condition.UNKNOWN, "SourceNotReady",
                    "the workload and VirtualService are checked once the source can be read", generation, now);
        } else {
            conditions = Conditions.with(conditions, ConditionTypes.REFERENCES_RESOLVED, Condition.TRUE, "Resolved",
                    "analysis templates, workload and VirtualService found", generation, now);
        }
        next.conditions = conditions;

        Optional<Condition> failing = conditions.stream().filter(c -> Condition.FALSE.equals(c.status))
                .filter(c -> ConditionTypes.stopsDelivery(c.type)).findFirst();
        if (failing.isPresent()) {
            next.phase = RolloutPhase.Degraded;
            next.message = failing.get().message;
        } else if (source.snapshot().isEmpty()) {
            next.phase = RolloutPhase.Pending;
            next.message = "waiting for the source";
        }
        // Otherwise phase and message are the delivery planner's to set.
        return new Plan(next, events(previous.conditions, conditions, next), failing.map(c -> c.message));
    }

    /** Warnings for conditions that newly went False; one Normal event when everything became valid. */
    private static List<RolloutEvent> events(List<Condition> allBefore, List<Condition> allAfter, RolloutStatus next) {
        List<RolloutEvent> events = new ArrayList<>();
        List<Condition> before = allBefore == null ? null
                : allBefore.stream().filter(c -> ConditionTypes.stopsDelivery(c.type)).toList();
        List<Condition> after = allAfter.stream().filter(c -> ConditionTypes.stopsDelivery(c.type)).toList();
        for (Condition c : after) {
            Optional<Condition> old = find(before, c.type);
            if (Condition.FALSE.equals(c.status) && !old.map(c::sameStateAs).orElse(false)) {
                events.add(RolloutEvent.warning(c.reason, c.message));
            }
        }
        boolean allTrueNow = after.stream().allMatch(Condition::isTrue);
        boolean allTrueBefore = before != null && !before.isEmpty() && before.stream().allMatch(Condition::isTrue)
                && after.stream().allMatch(c -> find(before, c.type).isPresent());
        if (allTrueNow && !allTrueBefore) {
            events.add(RolloutEvent.normal("Validated", "source and references are in order"));
        }
        return events;
    }

    private static Optional<Condition> find(List<Condition> conditions, String type) {
        return conditions == null ? Optional.empty() : conditions.stream().filter(c -> type.equals(c.type)).findFirst();
    }

    public static String shortRevision(String revision) {
        return revision.length() > 12 ? revision.substring(0, 12) : revision;
    }
}
