package io.sluice.core.delivery;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.Defaults;
import io.sluice.api.v1alpha1.HandledRequests;
import io.sluice.api.v1alpha1.RevisionOutcome;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.api.v1alpha1.RolloutSpec;
import io.sluice.api.v1alpha1.RolloutStatus;
import io.sluice.core.Durations;
import io.sluice.core.RolloutEvent;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static io.sluice.core.ValidationPlanner.shortRevision;

/**
 * The canary state machine, as a pure function of (spec, status, observation). One call makes at
 * most one transition and says what to do for it; the reconciler performs the actions and, only if
 * all succeed, writes the returned status. Everything the machine needs to resume lives in the
 * status, so a restarted operator continues exactly where the last one stopped.
 *
 * <p>Safety rules kept here: traffic goes to a canary only while it has available pods; on abort
 * the weight goes to 0 before anything else; stable is replaced only by promotion, and traffic
 * leaves the canary only after the promoted stable is available.
 */
public final class DeliveryPlanner {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    /** After a transition, look again at once to take the next one. */
    static final Duration NEXT = Duration.ofMillis(100);

    private final Duration timerResolution;

    /**
     * @param timerResolution the longest the planner waits between two looks while a timer runs
     *                        (pauses, deadlines), so a changed clock is noticed within it
     */
    public DeliveryPlanner(Duration timerResolution) {
        this.timerResolution = timerResolution;
    }

    public DeliveryPlan plan(RolloutSpec spec, RolloutStatus current, Observation observed) {
        return plan("rollout", spec, current, observed);
    }

    /** @param rolloutName names the AnalysisRuns the plan starts */
    public DeliveryPlan plan(String rolloutName, RolloutSpec spec, RolloutStatus current, Observation observed) {
        return new Pass(rolloutName, spec, SERIALIZATION.clone(current), observed).run();
    }

    /** One planning pass over a private copy of the status. */
    private final class Pass {
        final String rolloutName;
        final RolloutSpec spec;
        final RolloutStatus s;
        final Observation o;
        final Instant now;
        final List<CanaryStep> steps;
        final List<Action> actions = new ArrayList<>();
        final List<RolloutEvent> events = new ArrayList<>();
        Optional<Duration> requeue = Optional.empty();

        Pass(String rolloutName, RolloutSpec spec, RolloutStatus status, Observation observed) {
            this.rolloutName = rolloutName;
            this.spec = spec;
            this.s = status;
            this.o = observed;
            this.now = observed.now();
            this.steps = spec.strategy.canary.steps == null ? List.of() : spec.strategy.canary.steps;
            if (s.handledRequests == null) {
                s.handledRequests = new HandledRequests();
            }
        }

        DeliveryPlan run() {
            recordContentOfRunningRevisions();
            decide();
            if (s.canaryWeight == null) {
                s.canaryWeight = 0;
            }
            s.stableWeight = 100 - s.canaryWeight;
            s.step = s.canaryRevision == null || s.currentStepIndex == null || steps.isEmpty() ? null
                    : Math.min(s.currentStepIndex + 1, steps.size()) + "/" + steps.size();
            return new DeliveryPlan(List.copyOf(actions), s, List.copyOf(events), requeue);
        }

        /**
         * Status written by a Sluice that did not record content hashes: the running revisions' are
         * taken from the source while it still reads the same commit.
         */
        private void recordContentOfRunningRevisions() {
            o.desired().filter(d -> d.content() != null).ifPresent(d -> {
                if (s.stableContent == null && d.revision().equals(s.stableRevision)) {
                    s.stableContent = d.content();
                }
                if (s.canaryContent == null && d.revision().equals(s.canaryRevision)) {
                    s.canaryContent = d.content();
                }
            });
        }

        /** The content hash of a revision when it is the one read from the source; else null. */
        private String contentOf(String revision) {
            return o.desired().filter(d -> d.revision().equals(revision)).map(Observation.DesiredRevision::content)
                    .orElse(null);
        }

        /** Does the source's revision run the workload that was aborted (only other objects differ)? */
        private boolean runsTheAbortedWorkload(Observation.DesiredRevision desired) {
            return isAborted() && desired.templateHash() != null
                    && desired.templateHash().equals(s.abortedRevision.templateHash);
        }

        private void decide() {
            if (handleAbortRequest() || handleRetryRequest() || ignorePromoteWithoutCanary()) {
                if (isAborted()) {
                    Optional<Duration> soon = requeue; // look again at once: something newer may be waiting
                    holdAborted(); // an ignored request changes nothing: the Rollout still shows the abort
                    requeue = soon.isPresent() ? soon : requeue;
                }
                return;
            }
            if (canaryLostItsPods()) {
                abort("CanaryUnavailable", "the canary has no available pods while receiving traffic");
                return;
            }
            if (o.analysisUnusable().isPresent() && s.canaryRevision != null && !isAborted() && !promoting()) {
                holdCanary(o.analysisUnusable().get());
                return;
            }
            if (spec.pauseRequested()) {
                s.phase = RolloutPhase.Paused;
                s.message = "paused by spec.paused; resume to continue";
                return;
            }
            if (s.stableRevision == null) {
                deployFirstRevision();
                return;
            }
            if (isAborted()) {
                if (!startNewerRevision()) {
                    holdAborted();
                }
                return;
            }
            if (startNewerRevision()) {
                return;
            }
            if (s.canaryRevision != null) {
                advanceCanary();
                return;
            }
            steady();
        }

        // ---- requests from people -------------------------------------------------------------

        private boolean handleAbortRequest() {
            if (spec.abort == null || spec.abort.id.equals(s.handledRequests.abort)) {
                return false;
            }
            s.handledRequests.abort = spec.abort.id;
            if (s.canaryRevision == null || isAborted()) {
                events.add(RolloutEvent.normal("AbortIgnored", "abort requested, but no canary is in flight"));
                requeue = Optional.of(NEXT);
                return true;
            }
            if (promoting()) {
                // Stable already runs the new revision: sending traffic "back to stable" would not undo it.
                events.add(RolloutEvent.warning("AbortIgnored", "abort requested, but the promotion of "
                        + shortRevision(s.canaryRevision) + " has already updated stable; revert the commit in Git "
                        + "to roll back"));
                requeue = Optional.of(NEXT);
                return true;
            }
            abort("AbortRequested", "aborted by request");
            return true;
        }

        private boolean handleRetryRequest() {
            if (spec.retry == null || spec.retry.id.equals(s.handledRequests.retry)) {
                return false;
            }
            s.handledRequests.retry = spec.retry.id;
            if (!isAborted()) {
                events.add(RolloutEvent.normal("RetryIgnored", "retry requested, but nothing was aborted"));
                requeue = Optional.of(NEXT);
                return true;
            }
            String aborted = s.abortedRevision.revision;
            if (o.desired().isEmpty() || !o.desired().get().revision().equals(aborted)
                    && !runsTheAbortedWorkload(o.desired().get())) {
                events.add(RolloutEvent.normal("RetryIgnored", "retry requested, but the source's current revision "
                        + "is not the aborted " + shortRevision(aborted)));
                requeue = Optional.of(NEXT);
                return true;
            }
            // the aborted workload again, with the source's newest objects (the same revision, or one that changed only them)
            String revision = o.desired().get().revision();
            s.abortedRevision = null;
            startCanary(revision, "RetryStarted", "retrying revision " + shortRevision(revision) + " from the first step");
            return true;
        }

        /** A promote request with no canary to promote is consumed, so it cannot skip a step of a later canary. */
        private boolean ignorePromoteWithoutCanary() {
            if (s.canaryRevision != null && !isAborted()) {
                return false;
            }
            if (takePromoteRequest().isEmpty()) {
                return false;
            }
            events.add(RolloutEvent.normal("PromoteIgnored", "promote requested, but no canary is in flight"));
            requeue = Optional.of(NEXT);
            return true;
        }

        /** A pending promote request, consumed: true for full promotion, false for one step, empty for none. */
        private Optional<Boolean> takePromoteRequest() {
            if (spec.promote == null || spec.promote.id.equals(s.handledRequests.promote)) {
                return Optional.empty();
            }
            s.handledRequests.promote = spec.promote.id;
            return Optional.of(Boolean.TRUE.equals(spec.promote.full));
        }

        // ---- first revision ----------------------------------------------------------------------

        private void deployFirstRevision() {
            if (o.desired().isEmpty()) {
                s.phase = RolloutPhase.Pending;
                s.message = "waiting for a usable revision from the source";
                return;
            }
            String revision = o.desired().get().revision();
            if (!o.stable().runs(revision)) {
                actions.add(new Action.ApplyObjects(revision, true));
                actions.add(new Action.DeployStable(revision, false));
                s.appliedRevision = revision;
                s.stepStartTime = now.toString();
                s.canaryWeight = 0;
                s.phase = RolloutPhase.Progressing;
                s.message = "deploying the first revision " + shortRevision(revision) + " as stable";
                events.add(RolloutEvent.normal("DeployingStable", s.message));
                requeue = Optional.of(NEXT);
                return;
            }
            if (!o.stable().available()) {
                waitForAvailability("stable", o.stable(), () -> {
                    s.phase = RolloutPhase.Degraded;
                    s.message = "the first revision " + shortRevision(revision) + " did not become available within "
                            + spec.progressDeadlineSecondsOrDefault() + "s";
                });
                return;
            }
            s.stableRevision = revision;
            s.stableContent = contentOf(revision);
            s.stepStartTime = null;
            s.phase = RolloutPhase.Healthy;
            s.message = "revision " + shortRevision(revision) + " is stable and serves all traffic";
            events.add(RolloutEvent.normal("StableAvailable", s.message));
            recordOutcome(revision, "Deployed", "first revision, deployed as stable");
        }

        // ---- starting canaries -----------------------------------------------------------------

        /** Starts a canary for a revision newer than what runs; true if it did something. */
        private boolean startNewerRevision() {
            if (o.desired().isEmpty()) {
                return false;
            }
            var desired = o.desired().get();
            String revision = desired.revision();
            if (revision.equals(s.stableRevision) && s.canaryRevision != null && !isAborted() && !promoting()) {
                withdrawCanary();
                return true;
            }
            if (revision.equals(s.stableRevision) || revision.equals(s.canaryRevision)) {
                if (revision.equals(s.canaryRevision)) {
                    s.heldRevision = null; // back at the canary's own content: nothing waits for its promotion
                }
                return false;
            }
            boolean inFlight = s.canaryRevision != null && !isAborted();
            if (inFlight && promoting()) {
                return false; // finish the promotion first; the newer revision starts after it
            }
            if (inFlight && desired.templateHash() != null && desired.templateHash().equals(o.canary().templateHash())) {
                // Only objects other than the canary's workload changed: restarting the canary would judge the same
                // pods again. It goes on; the newer objects wait for its promotion, as the canary's own do.
                if (!revision.equals(s.heldRevision)) {
                    s.heldRevision = revision;
                    events.add(RolloutEvent.normal("RevisionHeld", "revision " + shortRevision(revision)
                            + " changes only objects other than the workload of canary " + shortRevision(s.canaryRevision)
                            + ": the canary goes on, and the objects of " + shortRevision(revision)
                            + " are applied when it is promoted"));
                }
                return false;
            }
            if (runsTheAbortedWorkload(desired)) {
                return false; // the failed pods are not run again by a commit that changes only other objects
            }
            if (!inFlight && desired.templateHash() != null && desired.templateHash().equals(o.stable().templateHash())) {
                // Only objects other than the workload changed: no canary needed.
                actions.add(new Action.ApplyObjects(revision, true));
                s.appliedRevision = revision;
                s.stableRevision = revision;
                s.stableContent = desired.content();
                s.abortedRevision = null;
                s.canaryRevision = null;
                s.canaryContent = null;
                s.heldRevision = null;
                s.currentStepIndex = null;
                s.pauseStartTime = null;
                s.stepStartTime = null;
                s.phase = RolloutPhase.Healthy;
                s.message = "revision " + shortRevision(revision) + " applied; its workload is unchanged, so no canary";
                events.add(RolloutEvent.normal("Applied", s.message));
                recordOutcome(revision, "Applied", "its workload is unchanged, so no canary");
                return true;
            }
            if (inFlight) {
                recordOutcome(s.canaryRevision, "Superseded", "replaced by " + shortRevision(revision)
                        + " at step " + stepNumber());
                if (s.canaryWeight != null && s.canaryWeight > 0) {
                    actions.add(new Action.SetCanaryWeight(0));
                }
                startCanary(revision, "CanarySuperseded", "revision " + shortRevision(revision) + " supersedes canary "
                        + shortRevision(s.canaryRevision) + "; restarting from the first step");
            } else {
                s.abortedRevision = null;
                startCanary(revision, "CanaryStarted", "revision " + shortRevision(revision) + " started as canary");
            }
            return true;
        }

        /** Git went back to the stable revision: the canary is withdrawn, as if it had never started. */
        private void withdrawCanary() {
            String withdrawn = s.canaryRevision;
            actions.add(new Action.SetCanaryWeight(0));
            actions.add(new Action.ScaleDownCanary());
            terminateRuns();
            s.canaryRevision = null;
            s.canaryContent = null;
            s.heldRevision = null;
            s.currentStepIndex = null;
            s.canaryWeight = 0;
            s.pauseStartTime = null;
            s.stepStartTime = null;
            s.phase = RolloutPhase.Healthy;
            s.message = "canary " + shortRevision(withdrawn) + " withdrawn: the source is back at stable "
                    + shortRevision(s.stableRevision);
            events.add(RolloutEvent.normal("CanaryWithdrawn", s.message));
            recordOutcome(withdrawn, "Withdrawn", "the source went back to stable " + shortRevision(s.stableRevision));
        }

        private void startCanary(String revision, String reason, String message) {
            if (spec.promote != null) {
                s.handledRequests.promote = spec.promote.id; // a promote meant for an earlier canary
            }
            terminateRuns();
            actions.add(new Action.ApplyObjects(revision, false));
            actions.add(new Action.DeployCanary(revision));
            s.canaryRevision = revision;
            s.canaryContent = contentOf(revision);
            s.heldRevision = null;
            s.currentStepIndex = 0;
            s.canaryWeight = 0;
            s.pauseStartTime = null;
            s.stepStartTime = now.toString();
            s.phase = RolloutPhase.Progressing;
            s.message = message;
            events.add(RolloutEvent.normal(reason, message));
            requeue = Optional.of(NEXT);
        }

        // ---- a canary in flight ------------------------------------------------------------------

        private void advanceCanary() {
            if (!o.canary().available() && !promoting()) {
                if (s.canaryWeight == null || s.canaryWeight == 0) {
                    waitForAvailability("canary", o.canary(),
                            () -> abort("ProgressDeadlineExceeded", "the canary did not become available within "
                                    + spec.progressDeadlineSecondsOrDefault() + "s"));
                } else {
                    // Some pods are down while it serves traffic (all down aborts at once, above):
                    // hold the step until it recovers rather than count a long-past step start.
                    s.message = "waiting for the canary to be fully available again (" + o.canary().availableReplicas()
                            + "/" + o.canary().replicas() + " pods)";
                    requeue = Optional.of(timerResolution);
                }
                return;
            }
            if (!promoting() && backgroundAnalysisStopsTheCanary()) {
                return;
            }
            Optional<Boolean> promote = takePromoteRequest();
            if (promote.isPresent()) {
                if (s.backgroundAnalysis != null && s.backgroundAnalysis.phase == io.sluice.api.v1alpha1.AnalysisPhase.Inconclusive) {
                    // a person looked at the inconclusive background analysis and chose to go on without it
                    s.backgroundAnalysis = null;
                }
                if (s.stepAnalysis != null && !s.stepAnalysis.phase.isCompleted()) {
                    actions.add(new Action.TerminateAnalysis(s.stepAnalysis.name));
                }
                s.stepAnalysis = null;
                int from = s.currentStepIndex;
                s.currentStepIndex = promote.get() ? steps.size() : Math.min(from + 1, steps.size());
                s.pauseStartTime = null;
                s.stepStartTime = now.toString();
                s.phase = RolloutPhase.Progressing;
                s.message = promote.get() ? "promoted in full: skipping the remaining steps"
                        : "promoted past step " + (from + 1) + " of " + steps.size();
                events.add(RolloutEvent.normal(promote.get() ? "PromotedFull" : "StepPromoted", s.message));
                requeue = Optional.of(NEXT);
                return;
            }
            if (s.currentStepIndex < steps.size()) {
                if (restoreStepWeight()) {
                    return;
                }
                runStep(steps.get(s.currentStepIndex));
            } else {
                promoteCanary();
            }
        }

        /**
         * The canary cannot be judged as the Rollout says (its analysis cannot run), so it must not serve
         * users meanwhile: its traffic goes to 0 and its step is held. Once the analysis is usable
         * again, {@link #restoreStepWeight} gives the step its weight back.
         */
        private void holdCanary(String why) {
            int weight = s.canaryWeight == null ? 0 : s.canaryWeight;
            if (weight > 0) {
                actions.add(new Action.SetCanaryWeight(0));
                s.canaryWeight = 0;
                events.add(RolloutEvent.warning("CanaryHeld", "canary " + shortRevision(s.canaryRevision)
                        + " taken off traffic (was " + weight + "%) at step " + stepNumber()
                        + ", as its analysis cannot run: " + why));
            }
            s.phase = RolloutPhase.Degraded;
            s.message = why;
            requeue = Optional.of(timerResolution);
        }

        /**
         * The weight the canary has at the current step: that of the last setWeight step before it. Lower
         * after a hold ({@link #holdCanary}): set again before the step goes on. True when it was.
         */
        private boolean restoreStepWeight() {
            int expected = 0;
            for (int i = 0; i < Math.min(s.currentStepIndex, steps.size()); i++) {
                if (steps.get(i).setWeight != null) {
                    expected = steps.get(i).setWeight;
                }
            }
            int weight = s.canaryWeight == null ? 0 : s.canaryWeight;
            if (weight >= expected) {
                return false;
            }
            actions.add(new Action.SetCanaryWeight(expected));
            s.canaryWeight = expected;
            s.phase = RolloutPhase.Progressing;
            s.message = "canary " + shortRevision(s.canaryRevision) + " back at " + expected + "%, the weight of its step ("
                    + stepNumber() + ")";
            events.add(RolloutEvent.normal("CanaryResumed", s.message));
            requeue = Optional.of(NEXT);
            return true;
        }

        private void runStep(CanaryStep step) {
            int index = s.currentStepIndex;
            String of = " (step " + (index + 1) + " of " + steps.size() + ")";
            if (step.setWeight != null) {
                actions.add(new Action.SetCanaryWeight(step.setWeight));
                s.canaryWeight = step.setWeight;
                if (step.setWeight > 0 && spec.strategy.canary.analysis != null && s.backgroundAnalysis == null) {
                    // Background analysis starts with the canary's first traffic: before it there is nothing to measure.
                    String name = runName(s.canaryRevision, "bg");
                    actions.add(new Action.StartAnalysis(name, spec.strategy.canary.analysis, true));
                    s.backgroundAnalysis = runReference(name);
                    events.add(RolloutEvent.normal("AnalysisStarted", "background analysis " + name + " started"));
                }
                completeStep("WeightSet", "canary weight set to " + step.setWeight + "%" + of);
            } else if (step.pause != null && step.pause.duration != null) {
                Duration duration = Durations.parse(step.pause.duration);
                if (s.pauseStartTime == null) {
                    s.pauseStartTime = now.toString();
                    s.phase = RolloutPhase.Progressing;
                    s.message = "pausing for " + step.pause.duration + of;
                    events.add(RolloutEvent.normal("PauseStarted", s.message));
                    requeue = Optional.of(min(duration, timerResolution));
                    return;
                }
                Instant end = Instant.parse(s.pauseStartTime).plus(duration);
                if (now.isBefore(end)) {
                    s.phase = RolloutPhase.Progressing;
                    s.message = "pausing until " + end + of;
                    requeue = Optional.of(min(Duration.between(now, end), timerResolution));
                    return;
                }
                s.pauseStartTime = null;
                completeStep("PauseEnded", "pause of " + step.pause.duration + " ended" + of);
            } else if (step.pause != null) {
                if (s.pauseStartTime == null) {
                    s.pauseStartTime = now.toString();
                    events.add(RolloutEvent.normal("PauseStarted", "waiting for promotion" + of));
                }
                s.phase = RolloutPhase.Paused;
                s.message = "waiting for `kubectl sluice promote`" + of;
            } else {
                runAnalysisStep(step, of);
            }
        }

        /** Starts the step's AnalysisRun, then follows its verdict: on, back (abort), or to a person. */
        private void runAnalysisStep(CanaryStep step, String of) {
            String name = runName(s.canaryRevision, "step" + (s.currentStepIndex + 1));
            if (s.stepAnalysis != null && s.stepAnalysis.name.equals(runName(s.canaryRevision, "step" + s.currentStepIndex))) {
                name = s.stepAnalysis.name; // started by a Sluice that numbered steps from 0: the same run
            }
            if (s.stepAnalysis == null || !name.equals(s.stepAnalysis.name)) {
                actions.add(new Action.StartAnalysis(name, step.analysis, false));
                s.stepAnalysis = runReference(name);
                s.phase = RolloutPhase.Progressing;
                s.message = "analysis " + name + " started" + of;
                events.add(RolloutEvent.normal("AnalysisStarted", s.message));
                requeue = Optional.of(timerResolution);
                return;
            }
            Observation.RunState run = observe(s.stepAnalysis);
            switch (run == null ? io.sluice.api.v1alpha1.AnalysisPhase.Pending : run.phase()) {
                case Successful -> {
                    String verdict = run.message();
                    completeStep("AnalysisSucceeded", "analysis " + name + " succeeded" + of + ": " + verdict);
                }
                case Failed, Error -> abort("AnalysisFailed", "analysis " + name + " " + run.phase().name().toLowerCase()
                        + ": " + run.message());
                case Inconclusive -> {
                    s.phase = RolloutPhase.Paused;
                    s.message = "analysis " + name + " was inconclusive: " + run.message()
                            + "; promote to continue, or abort" + of;
                    if (s.pauseStartTime == null) {
                        s.pauseStartTime = now.toString();
                        events.add(RolloutEvent.warning("AnalysisInconclusive", s.message));
                    }
                }
                default -> {
                    s.phase = RolloutPhase.Progressing;
                    s.message = "analysis " + name + " running" + (run != null && run.message() != null
                            ? ": " + run.message() : "") + of;
                    requeue = Optional.of(timerResolution);
                }
            }
        }

        /**
         * A failed or erroring background analysis rolls the canary back; an inconclusive one waits for
         * a person. True when it stopped the canary from advancing.
         */
        private boolean backgroundAnalysisStopsTheCanary() {
            if (s.backgroundAnalysis == null) {
                return false;
            }
            Observation.RunState run = observe(s.backgroundAnalysis);
            if (run == null) {
                return false;
            }
            switch (run.phase()) {
                case Failed, Error -> {
                    abort("AnalysisFailed", "background analysis " + s.backgroundAnalysis.name + " "
                            + run.phase().name().toLowerCase() + ": " + run.message());
                    return true;
                }
                case Inconclusive -> {
                    if (spec.promote != null && !spec.promote.id.equals(s.handledRequests.promote)) {
                        return false; // the pending promote is the person's answer
                    }
                    s.phase = RolloutPhase.Paused;
                    s.message = "background analysis " + s.backgroundAnalysis.name + " was inconclusive: " + run.message()
                            + "; promote to go on without it, or abort";
                    return true;
                }
                default -> {
                    return false;
                }
            }
        }

        /** The run's observed state, copied into its reference in status; null when it is not found. */
        private Observation.RunState observe(io.sluice.api.v1alpha1.AnalysisRunReference ref) {
            Observation.RunState run = o.analysisRuns().get(ref.name);
            if (run != null) {
                ref.phase = run.phase();
                ref.message = run.message();
            }
            return run;
        }

        /**
         * A run's name, derived from status (the step's start time), so a restarted operator names
         * the run it already started the same way instead of starting another.
         */
        private String runName(String revision, String what) {
            long seconds = Instant.parse(s.stepStartTime != null ? s.stepStartTime : now.toString()).getEpochSecond();
            return rolloutName + "-" + revision.substring(0, Math.min(8, revision.length())) + "-" + what + "-"
                    + Long.toString(seconds, 36);
        }

        private io.sluice.api.v1alpha1.AnalysisRunReference runReference(String name) {
            var ref = new io.sluice.api.v1alpha1.AnalysisRunReference();
            ref.name = name;
            ref.phase = io.sluice.api.v1alpha1.AnalysisPhase.Pending;
            return ref;
        }

        /** Stops the runs still measuring for this canary and forgets them. */
        private void terminateRuns() {
            stopRunningAnalyses();
            s.stepAnalysis = null;
            s.backgroundAnalysis = null;
        }

        private void stopRunningAnalyses() {
            for (var ref : java.util.Arrays.asList(s.stepAnalysis, s.backgroundAnalysis)) {
                if (ref != null && (ref.phase == null || !ref.phase.isCompleted())) {
                    actions.add(new Action.TerminateAnalysis(ref.name));
                }
            }
        }

        private void completeStep(String reason, String message) {
            s.stepAnalysis = null;
            s.currentStepIndex = s.currentStepIndex + 1;
            s.stepStartTime = now.toString();
            s.phase = RolloutPhase.Progressing;
            s.message = message;
            events.add(RolloutEvent.normal(reason, message));
            requeue = Optional.of(NEXT);
        }

        /** Stable takes the canary's spec, becomes available, takes all traffic back; then the canary goes. */
        private void promoteCanary() {
            String revision = s.canaryRevision;
            if (!o.stable().runs(revision)) {
                actions.add(new Action.DeployStable(revision, true));
                s.stepStartTime = now.toString();
                s.phase = RolloutPhase.Progressing;
                s.message = "promoting " + shortRevision(revision) + ": updating stable";
                events.add(RolloutEvent.normal("PromotionStarted", s.message));
                requeue = Optional.of(NEXT);
                return;
            }
            if (!o.stable().available()) {
                waitForAvailability("stable", o.stable(), () -> {
                    s.phase = RolloutPhase.Degraded;
                    s.message = "promoting " + shortRevision(revision) + ": stable did not become available within "
                            + spec.progressDeadlineSecondsOrDefault() + "s; traffic stays as it is";
                });
                return;
            }
            // Stable runs the new workload now: its Services and objects follow (those of the canary's revision, or of a
            // newer one that changed only them), and what Git dropped goes.
            Optional<Observation.DesiredRevision> objectsFrom = o.desired().filter(d -> d.revision().equals(revision)
                    || d.templateHash() != null && d.templateHash().equals(o.stable().templateHash()));
            if (objectsFrom.isPresent() && !objectsFrom.get().revision().equals(s.appliedRevision)) {
                actions.add(new Action.ApplyObjects(objectsFrom.get().revision(), true));
                s.appliedRevision = objectsFrom.get().revision();
            }
            if (s.canaryWeight != null && s.canaryWeight > 0) {
                actions.add(new Action.SetCanaryWeight(0));
                s.canaryWeight = 0;
                s.phase = RolloutPhase.Progressing;
                s.message = "promoting " + shortRevision(revision) + ": stable serves all traffic";
                events.add(RolloutEvent.normal("TrafficToStable", s.message));
                requeue = Optional.of(NEXT);
                return;
            }
            actions.add(new Action.SetCanaryWeight(0));
            actions.add(new Action.ScaleDownCanary());
            terminateRuns();
            if (s.heldRevision != null && s.heldRevision.equals(s.appliedRevision)) {
                // the held commit's objects went live with the canary's workload: stable is that commit now
                s.stableRevision = s.heldRevision;
                s.stableContent = contentOf(s.heldRevision);
            } else {
                s.stableRevision = revision;
                s.stableContent = s.canaryContent;
            }
            s.canaryRevision = null;
            s.canaryContent = null;
            s.heldRevision = null;
            s.currentStepIndex = null;
            s.pauseStartTime = null;
            s.stepStartTime = null;
            s.phase = RolloutPhase.Healthy;
            s.message = "revision " + shortRevision(revision) + " promoted; it is stable and serves all traffic";
            events.add(RolloutEvent.normal("Promoted", s.message));
            recordOutcome(revision, "Promoted", "promoted to stable");
        }

        // ---- abort -------------------------------------------------------------------------------

        /** Stable has been (or is being) replaced by the canary's revision: past the point of no return. */
        private boolean promoting() {
            return s.canaryRevision != null && s.currentStepIndex != null && s.currentStepIndex >= steps.size()
                    && o.stable().runs(s.canaryRevision);
        }

        /** A canary that receives traffic and has not one available pod left. */
        private boolean canaryLostItsPods() {
            return s.canaryRevision != null && !isAborted() && !promoting() && s.canaryWeight != null
                    && s.canaryWeight > 0 && o.canary().exists() && o.canary().availableReplicas() == 0;
        }

        private boolean isAborted() {
            return s.abortedRevision != null && s.abortedRevision.revision != null
                    && s.abortedRevision.revision.equals(s.canaryRevision);
        }

        private void abort(String reason, String message) {
            actions.add(new Action.SetCanaryWeight(0));
            stopRunningAnalyses(); // the references stay: they tell which run decided
            s.canaryWeight = 0;
            s.pauseStartTime = null;
            s.abortedRevision = new RevisionOutcome();
            s.abortedRevision.revision = s.canaryRevision;
            s.abortedRevision.content = s.canaryContent;
            s.abortedRevision.templateHash = o.canary().templateHash();
            s.heldRevision = null;
            s.abortedRevision.reason = reason;
            s.abortedRevision.message = message;
            s.abortedRevision.time = now.toString();
            recordOutcome(s.canaryRevision, reason, message);
            s.phase = RolloutPhase.Aborted;
            s.message = "canary " + shortRevision(s.canaryRevision) + " aborted: " + message + "; stable serves all traffic";
            events.add(RolloutEvent.warning(reason, s.message));
            requeue = Optional.of(NEXT);
        }

        /** After an abort: stable serves everything; the canary's pods go after the configured delay. */
        private void holdAborted() {
            s.phase = RolloutPhase.Aborted;
            s.message = "canary " + shortRevision(s.canaryRevision) + " aborted (" + s.abortedRevision.reason + "): "
                    + s.abortedRevision.message + "; stable serves all traffic; it is not run again until a commit "
                    + "changes its workload (the pod template or the config its pods use) or a retry is requested";
            if (o.canary().exists() && o.canary().replicas() > 0) {
                Instant scaleDownAt = Instant.parse(s.abortedRevision.time).plusSeconds(abortScaleDownDelaySeconds());
                if (now.isBefore(scaleDownAt)) {
                    requeue = Optional.of(min(Duration.between(now, scaleDownAt), timerResolution));
                } else {
                    actions.add(new Action.SetCanaryWeight(0));
                    actions.add(new Action.ScaleDownCanary());
                    events.add(RolloutEvent.normal("CanaryScaledDown", "aborted canary " + shortRevision(s.canaryRevision)
                            + " scaled down"));
                }
            }
        }

        private int abortScaleDownDelaySeconds() {
            Integer delay = spec.strategy.canary.abortScaleDownDelaySeconds;
            return delay != null ? delay : Defaults.ABORT_SCALE_DOWN_DELAY_SECONDS;
        }

        // ---- steady state ------------------------------------------------------------------------

        private void steady() {
            s.phase = RolloutPhase.Healthy;
            s.currentStepIndex = null;
            s.pauseStartTime = null;
            s.stepStartTime = null;
            s.message = "revision " + shortRevision(s.stableRevision) + " is stable and serves all traffic";
            if (!o.stable().exists()) {
                // Someone deleted it: run stable again, from Git when Git still says the same revision.
                if (o.desired().map(d -> d.revision().equals(s.stableRevision)).orElse(false)) {
                    actions.add(new Action.DeployStable(s.stableRevision, false));
                    events.add(RolloutEvent.warning("StableRecreated", "the stable Deployment was missing; recreated "
                            + "from revision " + shortRevision(s.stableRevision)));
                }
                s.phase = RolloutPhase.Degraded;
                s.message = "the stable Deployment is missing; revision " + shortRevision(s.stableRevision)
                        + " has nothing serving it";
                requeue = Optional.of(timerResolution);
                return;
            }
            if (!o.stable().available()) {
                s.phase = RolloutPhase.Degraded;
                s.message = "stable " + shortRevision(s.stableRevision) + " is not fully available ("
                        + o.stable().availableReplicas() + "/" + o.stable().replicas() + " pods)";
            }
            if (o.canary().exists() && o.canary().replicas() > 0) {
                actions.add(new Action.SetCanaryWeight(0));
                actions.add(new Action.ScaleDownCanary());
            }
        }

        /** Adds how a revision ended to status.history, newest first, keeping the most recent ones. */
        private void recordOutcome(String revision, String reason, String message) {
            RevisionOutcome outcome = new RevisionOutcome();
            outcome.revision = revision;
            outcome.reason = reason;
            outcome.message = message;
            outcome.time = now.toString();
            outcome.images = imagesOf(revision);
            List<RevisionOutcome> history = new ArrayList<>();
            history.add(outcome);
            if (s.history != null) {
                history.addAll(s.history.subList(0, Math.min(s.history.size(), Defaults.HISTORY_LIMIT - 1)));
            }
            s.history = history;
        }

        /** The images a revision's workload runs: as its live Deployment has them, else as Git has them; null if unknown. */
        private List<String> imagesOf(String revision) {
            for (WorkloadState workload : List.of(o.canary(), o.stable())) {
                if (workload.runs(revision) && workload.images() != null && !workload.images().isEmpty()) {
                    return workload.images();
                }
            }
            return o.desired().filter(d -> d.revision().equals(revision) && d.images() != null && !d.images().isEmpty())
                    .map(Observation.DesiredRevision::images).orElse(null);
        }

        /** The current step as a person counts (1-based), or "-" when none. */
        private String stepNumber() {
            return s.currentStepIndex == null ? "-" : Math.min(s.currentStepIndex + 1, steps.size()) + " of " + steps.size();
        }

        /** Waits for a Deployment, running {@code onDeadline} once progressDeadlineSeconds have passed. */
        private void waitForAvailability(String which, WorkloadState state, Runnable onDeadline) {
            Instant start = s.stepStartTime != null ? Instant.parse(s.stepStartTime) : now;
            if (s.stepStartTime == null) {
                s.stepStartTime = now.toString();
            }
            Instant deadline = start.plusSeconds(spec.progressDeadlineSecondsOrDefault());
            if (!now.isBefore(deadline)) {
                onDeadline.run();
                return;
            }
            if (s.phase == null || s.phase == RolloutPhase.Pending || s.phase == RolloutPhase.Healthy) {
                s.phase = RolloutPhase.Progressing;
            }
            s.message = "waiting for " + which + " to become available (" + state.availableReplicas() + "/"
                    + state.replicas() + " pods)";
            requeue = Optional.of(min(Duration.between(now, deadline), timerResolution));
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
