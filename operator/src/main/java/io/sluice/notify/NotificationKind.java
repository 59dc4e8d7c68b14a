package io.sluice.notify;

import java.util.Map;
import java.util.Optional;

/** What people are told about, and which Rollout events each covers. */
public enum NotificationKind {
    Started, StepCompleted, Paused, Promoted, Aborted, RolledBack;

    private static final Map<String, NotificationKind> BY_EVENT_REASON = Map.ofEntries(
            Map.entry("CanaryStarted", Started), Map.entry("RetryStarted", Started), Map.entry("CanarySuperseded", Started),
            Map.entry("WeightSet", StepCompleted), Map.entry("PauseEnded", StepCompleted),
            Map.entry("AnalysisSucceeded", StepCompleted), Map.entry("StepPromoted", StepCompleted),
            Map.entry("PauseStarted", Paused), Map.entry("AnalysisInconclusive", Paused),
            Map.entry("Promoted", Promoted),
            Map.entry("AbortRequested", Aborted),
            Map.entry("AnalysisFailed", RolledBack), Map.entry("ProgressDeadlineExceeded", RolledBack),
            Map.entry("CanaryUnavailable", RolledBack));

    /** The kind a Rollout event (by its reason) is announced as, if it is announced at all. */
    public static Optional<NotificationKind> ofEventReason(String reason) {
        return Optional.ofNullable(BY_EVENT_REASON.get(reason));
    }
}
