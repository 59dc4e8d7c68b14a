package io.sluice.core.delivery;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.api.v1alpha1.AnalysisPhase;
import io.sluice.api.v1alpha1.AnalysisTemplateRef;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.RolloutAnalysis;
import io.sluice.api.v1alpha1.Pause;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.api.v1alpha1.RolloutSpec;
import io.sluice.api.v1alpha1.RolloutStatus;
import io.sluice.core.RolloutEvent;
import io.sluice.core.RolloutFixtures;
import io.sluice.core.delivery.Observation.DesiredRevision;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The canary state machine driven through whole scenarios against a small simulated cluster, with
 * an injected clock. Between passes the status goes through JSON, as it would through the API.
 */
class DeliveryPlannerTest {
    private static final KubernetesSerialization JSON = new KubernetesSerialization();
    private static final String V1 = "1111111111111111111111111111111111111111";
    private static final String V2 = "2222222222222222222222222222222222222222";
    private static final String V3 = "3333333333333333333333333333333333333333";

    private final DeliveryPlanner planner = new DeliveryPlanner(Duration.ofSeconds(10));
    private World world;

    @BeforeEach
    void setUp() {
        world = new World(spec(CanaryStep.weight(5), pause("2m"), CanaryStep.weight(50), pause(null)));
    }

    @Test
    void theFirstRevisionGoesStraightToStable() {
        world.commit(V1, "t1");
        world.settle();

        assertThat(world.status.phase).isEqualTo(RolloutPhase.Healthy);
        assertThat(world.status.stableRevision).isEqualTo(V1);
        assertThat(world.status.canaryRevision).isNull();
        assertThat(world.stable.revision()).isEqualTo(V1);
        assertThat(world.canary.exists()).isFalse();
        assertThat(world.weights).as("the VirtualService is applied from Git with 0% canary").isEmpty();
    }

    @Test
    void aSecondRevisionWalksTheStepsAndIsPromoted() {
        stableAt(V1);
        world.commit(V2, "t2");

        world.settle();
        assertThat(world.status.canaryRevision).isEqualTo(V2);
        assertThat(world.weights).containsExactly(5);
        assertThat(world.status.currentStepIndex).isEqualTo(1);
        assertThat(world.status.message).contains("pausing");

        world.advance(Duration.ofSeconds(119));
        world.settle();
        assertThat(world.weights).containsExactly(5);

        world.advance(Duration.ofSeconds(1));
        world.settle();
        assertThat(world.weights).containsExactly(5, 50);
        assertThat(world.status.phase).isEqualTo(RolloutPhase.Paused);
        assertThat(world.status.currentStepIndex).isEqualTo(3);

        world.advance(Duration.ofHours(5));
        world.settle();
        assertThat(world.status.phase).as("an indefinite pause holds").isEqualTo(RolloutPhase.Paused);

        world.spec.promote = RolloutFixtures.promote("p1", false);
        world.settle();
        assertThat(world.weights).containsExactly(5, 50, 0);
        assertThat(world.stableDeploys).containsExactly(V1, V2);
        assertThat(world.status.phase).isEqualTo(RolloutPhase.Healthy);
        assertThat(world.status.stableRevision).isEqualTo(V2);
        assertThat(world.status.canaryRevision).isNull();
        assertThat(world.canary.replicas()).isZero();
        assertThat(world.eventReasons()).containsSubsequence("CanaryStarted", "WeightSet", "PauseStarted", "PauseEnded",
                "WeightSet", "PauseStarted", "StepPromoted", "PromotionStarted", "TrafficToStable", "Promoted");
        assertThat(world.status.history).as("status.history, newest first")
                .extracting(o -> o.revision + " " + o.reason).containsExactly(V2 + " Promoted", V1 + " Deployed");
    }

    /** Issue 22.8: which image a revision ran, for kubectl sluice history; from Git or from its live Deployment. */
    @Test
    void eachOutcomeInTheHistoryNamesTheImagesOfItsRevision() {
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle();
        world.commit(V3, "t3"); // replaces canary V2: Git says V3 now, the canary Deployment still runs V2
        world.settle();
        world.spec.promote = RolloutFixtures.promote("p1", true);
        world.settle();
        String v4 = "4444444444444444444444444444444444444444";
        world.commit(v4, "t3"); // the same workload: applied without a canary
        world.settle();

        assertThat(world.status.history).extracting(o -> o.revision.substring(0, 1) + " " + o.reason + " " + o.images)
                .containsExactly("4 Applied [shop/checkout:t3]", "3 Promoted [shop/checkout:t3]",
                        "2 Superseded [shop/checkout:t2]", "1 Deployed [shop/checkout:t1]");
    }

    @Test
    void theHistoryKeepsTheTenMostRecentOutcomesNewestFirst() {
        stableAt(V1);
        for (int i = 0; i < 12; i++) {
            String revision = String.valueOf((char) ('a' + i)).repeat(40);
            world.commit(revision, "c" + i);
            world.settle();
            world.spec.abort = RolloutFixtures.request("a" + i);
            world.settle();
        }
        assertThat(world.status.history).hasSize(10);
        assertThat(world.status.history.getFirst().revision).isEqualTo("l".repeat(40));
        assertThat(world.status.history.getFirst().reason).isEqualTo("AbortRequested");
        assertThat(world.status.history.getLast().revision).isEqualTo("c".repeat(40));
    }

    @Test
    void trafficLeavesTheCanaryOnlyAfterThePromotedStableIsAvailable() {
        world = new World(spec(CanaryStep.weight(30)));
        stableAt(V1);
        world.commit(V2, "t2");
        world.stableBecomesAvailable = false;
        world.settle();

        assertThat(world.stable.revision()).isEqualTo(V2);
        assertThat(world.weights).as("still 30 on the canary while stable rolls").containsExactly(30);
        assertThat(world.status.message).contains("waiting for stable");

        world.stableBecomesAvailable = true;
        world.settle();
        assertThat(world.weights).containsExactly(30, 0);
        assertThat(world.status.phase).isEqualTo(RolloutPhase.Healthy);
    }

    @ParameterizedTest(name = "abort at step {0}")
    @ValueSource(ints = {0, 1, 2, 3, 4})
    void abortAtAnyStepSendsAllTrafficToStableAndScalesTheCanaryDownAfterTheDelay(int stepsBeforeAbort) {
        stableAt(V1);
        world.commit(V2, "t2");
        world.canaryBecomesAvailable = stepsBeforeAbort > 0;
        world.runUntil(() -> world.status.currentStepIndex != null && world.status.currentStepIndex >= Math.min(stepsBeforeAbort, 3));
        int stableReplicasBefore = world.stable.replicas();

        world.spec.abort = RolloutFixtures.request("a1");
        world.pass();

        assertThat(world.routedWeight).isZero();
        assertThat(world.status.phase).isEqualTo(RolloutPhase.Aborted);
        assertThat(world.status.abortedRevision.revision).isEqualTo(V2);
        assertThat(world.status.abortedRevision.reason).isEqualTo("AbortRequested");
        assertThat(world.status.history.getFirst().revision).isEqualTo(V2);
        assertThat(world.status.history.getFirst().reason).isEqualTo("AbortRequested");
        assertThat(world.canary.replicas()).as("kept for inspection during the delay").isPositive();

        world.advance(Duration.ofSeconds(29));
        world.settle();
        assertThat(world.canary.replicas()).isPositive();
        world.advance(Duration.ofSeconds(1));
        world.settle();
        assertThat(world.canary.replicas()).isZero();

        assertThat(world.stable.revision()).isEqualTo(V1);
        assertThat(world.stable.replicas()).isEqualTo(stableReplicasBefore);
        assertThat(world.stableDeploys).containsExactly(V1);
        assertThat(world.status.stableRevision).isEqualTo(V1);
        assertThat(world.eventReasons()).contains("AbortRequested", "CanaryScaledDown");
    }

    @Test
    void anAbortedRevisionIsNotRetriedUntilAskedAndRetryStartsItFromTheFirstStep() {
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle();
        world.spec.abort = RolloutFixtures.request("a1");
        world.settle();
        world.advance(Duration.ofHours(1));
        world.settle();
        assertThat(world.status.phase).isEqualTo(RolloutPhase.Aborted);
        assertThat(world.canaryDeploys).containsExactly(V2);

        world.spec.retry = RolloutFixtures.request("r1");
        world.settle();

        assertThat(world.canaryDeploys).containsExactly(V2, V2);
        assertThat(world.status.abortedRevision).isNull();
        assertThat(world.status.currentStepIndex).isEqualTo(1);
        assertThat(world.weights).containsExactly(5, 0, 5);
    }

    @Test
    void aNewerCommitAfterAnAbortStartsANewCanary() {
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle();
        world.spec.abort = RolloutFixtures.request("a1");
        world.settle();

        world.commit(V3, "t3");
        world.settle();

        assertThat(world.status.canaryRevision).isEqualTo(V3);
        assertThat(world.status.abortedRevision).isNull();
        assertThat(world.status.phase).isEqualTo(RolloutPhase.Progressing);
    }

    @Test
    void fullPromoteSkipsTheRemainingSteps() {
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle();
        assertThat(world.status.currentStepIndex).isEqualTo(1);

        world.spec.promote = RolloutFixtures.promote("p1", true);
        world.settle();

        assertThat(world.weights).containsExactly(5, 0);
        assertThat(world.status.stableRevision).isEqualTo(V2);
        assertThat(world.status.phase).isEqualTo(RolloutPhase.Healthy);
        assertThat(world.eventReasons()).contains("PromotedFull", "Promoted");
    }

    @Test
    void pauseHoldsEverythingAndResumeContinues() {
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle();
        world.spec.paused = true;
        world.advance(Duration.ofMinutes(10));
        world.settle();
        assertThat(world.status.phase).isEqualTo(RolloutPhase.Paused);
        assertThat(world.weights).containsExactly(5);

        world.spec.paused = false;
        world.settle();
        assertThat(world.weights).containsExactly(5, 50);
    }

    @Test
    void aNewerCommitMidRolloutSupersedesTheCanaryAndLeavesStableAlone() {
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle();
        world.advance(Duration.ofMinutes(2));
        world.settle();
        assertThat(world.weights).containsExactly(5, 50);

        world.commit(V3, "t3");
        world.settle();

        assertThat(world.weights).containsExactly(5, 50, 0, 5);
        assertThat(world.canaryDeploys).containsExactly(V2, V3);
        assertThat(world.stableDeploys).containsExactly(V1);
        assertThat(world.status.canaryRevision).isEqualTo(V3);
        assertThat(world.eventReasons()).contains("CanarySuperseded");
    }

    @Test
    void aCanaryThatNeverBecomesAvailableGetsNoTrafficAndIsAbortedAtTheDeadline() {
        stableAt(V1);
        world.canaryBecomesAvailable = false;
        world.commit(V2, "t2");
        world.settle();
        assertThat(world.weights).isEmpty();
        assertThat(world.status.message).contains("waiting for canary");

        world.advance(Duration.ofSeconds(600));
        world.settle();

        assertThat(world.status.phase).isEqualTo(RolloutPhase.Aborted);
        assertThat(world.status.abortedRevision.reason).isEqualTo("ProgressDeadlineExceeded");
        assertThat(world.weights).as("the canary never got traffic").isEmpty();
    }

    @Test
    void aCanaryLosingItsPodsWhileReceivingTrafficIsAborted() {
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle();
        world.canary = new WorkloadState(true, V2, "t2", 3, 0, true);
        world.canaryBecomesAvailable = false;

        world.pass();

        assertThat(world.routedWeight).isZero();
        assertThat(world.status.abortedRevision.reason).isEqualTo("CanaryUnavailable");
    }

    @Test
    void aCommitThatLeavesTheWorkloadUnchangedNeedsNoCanary() {
        stableAt(V1);
        world.commit(V2, "t1");
        world.settle();

        assertThat(world.status.stableRevision).isEqualTo(V2);
        assertThat(world.canaryDeploys).isEmpty();
        assertThat(world.applied).containsExactly(V1, V2);
    }

    @Test
    void aPromoteWithNoCanaryIsConsumedAndDoesNotSkipALaterPause() {
        stableAt(V1);
        world.spec.promote = RolloutFixtures.promote("early", false);
        world.settle();
        assertThat(world.eventReasons()).contains("PromoteIgnored");

        world.commit(V2, "t2");
        world.settle();
        assertThat(world.status.currentStepIndex).as("still in the timed pause").isEqualTo(1);
    }

    @Test
    void withoutAUsableSourceAStableRolloutJustKeepsServing() {
        stableAt(V1);
        world.desired = Optional.empty();
        world.settle();
        assertThat(world.status.phase).isEqualTo(RolloutPhase.Healthy);
        assertThat(world.actionsTaken).isEmpty();
    }

    @Test
    void anAbortDuringPromotionIsRefusedBecauseStableAlreadyRunsTheNewRevision() {
        world = new World(spec(CanaryStep.weight(30)));
        stableAt(V1);
        world.commit(V2, "t2");
        world.stableBecomesAvailable = false;
        world.settle();
        assertThat(world.stable.revision()).isEqualTo(V2);

        world.spec.abort = RolloutFixtures.request("a1");
        world.settle();
        assertThat(world.eventReasons()).contains("AbortIgnored");
        assertThat(world.weights).as("traffic stays where it is while stable rolls").containsExactly(30);

        world.stableBecomesAvailable = true;
        world.settle();
        assertThat(world.status.phase).isEqualTo(RolloutPhase.Healthy);
        assertThat(world.status.stableRevision).isEqualTo(V2);
        assertThat(world.weights).containsExactly(30, 0);
    }

    @Test
    void aCanaryLosingItsPodsIsAbortedEvenWhilePaused() {
        world = new World(spec(CanaryStep.weight(30), pause(null)));
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle();
        world.spec.paused = true;
        world.settle();
        world.canaryBecomesAvailable = false;
        world.canary = new WorkloadState(true, V2, "t2", 3, 0, true);

        world.settle();

        assertThat(world.weights).containsExactly(30, 0);
        assertThat(world.status.abortedRevision.reason).isEqualTo("CanaryUnavailable");
    }

    @Test
    void aNewerCommitDuringPromotionWaitsForThePromotionToFinish() {
        world = new World(spec(CanaryStep.weight(30)));
        stableAt(V1);
        world.commit(V2, "t2");
        world.stableBecomesAvailable = false;
        world.settle();
        world.commit(V3, "t3");
        world.settle();
        assertThat(world.weights).as("no traffic moved to a stable that is not available").containsExactly(30);

        world.stableBecomesAvailable = true;
        world.settle();
        assertThat(world.eventReasons()).containsSubsequence("PromotionStarted", "TrafficToStable", "Promoted",
                "CanaryStarted");
        assertThat(world.stableDeploys).containsExactly(V1, V2, V3);
    }

    @Test
    void anIgnoredRequestLeavesAnAbortedRolloutShownAsAborted() {
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle();
        world.spec.abort = RolloutFixtures.request("a1");
        world.settle();
        world.desired = Optional.empty(); // the source cannot be read any more
        world.status.phase = io.sluice.api.v1alpha1.RolloutPhase.Degraded; // as the validation says

        world.spec.retry = RolloutFixtures.request("r1");
        world.pass(); // one reconcile: the one that handles the request

        assertThat(world.eventReasons()).contains("RetryIgnored");
        assertThat(world.status.phase).as("the canary is still aborted; the request changed nothing")
                .isEqualTo(io.sluice.api.v1alpha1.RolloutPhase.Aborted);
    }

    @Test
    void aRetryOfARevisionGitNoLongerWantsIsIgnored() {
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle();
        world.spec.abort = RolloutFixtures.request("a1");
        world.settle();
        world.commit(V3, "t3");
        world.spec.retry = RolloutFixtures.request("r1");

        world.settle();

        assertThat(world.eventReasons()).contains("RetryIgnored");
        assertThat(world.status.canaryRevision).isEqualTo(V3);
    }

    @Test
    void gitGoingBackToTheStableRevisionWithdrawsTheCanary() {
        world = new World(spec(CanaryStep.weight(30), pause("1m")));
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle();
        world.commit(V1, "t1");
        world.advance(Duration.ofMinutes(2));
        world.settle();

        assertThat(world.status.stableRevision).isEqualTo(V1);
        assertThat(world.status.canaryRevision).isNull();
        assertThat(world.weights).containsExactly(30, 0);
        assertThat(world.canary.replicas()).isZero();
        assertThat(world.eventReasons()).contains("CanaryWithdrawn");
    }

    @Test
    void aPromoteMeantForASupersededCanaryDoesNotSkipAStepOfTheNextOne() {
        world = new World(spec(CanaryStep.weight(5), pause(null), CanaryStep.weight(50), pause(null)));
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle();
        world.spec.promote = RolloutFixtures.promote("p1", false);
        world.commit(V3, "t3");
        world.settle();

        assertThat(world.status.canaryRevision).isEqualTo(V3);
        assertThat(world.weights).containsExactly(5, 0, 5);
        assertThat(world.status.currentStepIndex).isEqualTo(1);
    }

    @Test
    void onePodRestartingAfterALongManualPauseHoldsTheStepInsteadOfAborting() {
        world = new World(spec(CanaryStep.weight(30), pause(null)));
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle();
        world.advance(Duration.ofHours(1));
        world.settle();
        world.canaryBecomesAvailable = false;
        world.canary = new WorkloadState(true, V2, "t2", 3, 2, true);

        world.pass();

        assertThat(world.status.abortedRevision).isNull();
        assertThat(world.status.message).contains("fully available again");
    }

    @Test
    void anAnalysisStepThatSucceedsLetsTheCanaryGoOn() {
        world = new World(spec(CanaryStep.weight(20), analysisStep(), CanaryStep.weight(60)));
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle();
        assertThat(world.startedRuns).singleElement().asString().startsWith("checkout-22222222-step2-");
        assertThat(world.status.stepAnalysis.phase).isEqualTo(AnalysisPhase.Running);
        assertThat(world.weights).containsExactly(20);

        world.runs.put(world.startedRuns.getFirst(), new Observation.RunState(AnalysisPhase.Successful, "error-rate = 0.001 met `result < 0.01`"));
        world.settle();

        assertThat(world.status.stableRevision).isEqualTo(V2);
        assertThat(world.weights).containsExactly(20, 60, 0);
        assertThat(world.eventReasons()).contains("AnalysisStarted", "AnalysisSucceeded", "Promoted");
    }

    @Test
    void anAnalysisRunStartedBeforeStepsWereNumberedFromOneIsFollowedNotStartedAgain() {
        world = new World(spec(CanaryStep.weight(20), analysisStep(), CanaryStep.weight(60)));
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle();
        String started = world.startedRuns.getFirst();
        // as an older Sluice named the run of the second step: step1 (0-based)
        String legacy = started.replace("-step2-", "-step1-");
        world.status.stepAnalysis.name = legacy;
        world.runs.put(legacy, new Observation.RunState(AnalysisPhase.Successful, "error-rate = 0.001 met `result < 0.01`"));
        world.startedRuns.clear();

        world.settle();

        assertThat(world.startedRuns).as("no second run for the same step").isEmpty();
        assertThat(world.status.stableRevision).isEqualTo(V2);
    }

    /** The Step column of {@code kubectl get rollouts} (the CRD's printer column), as a person counts. */
    @Test
    void theStepColumnOfKubectlGetRolloutsCountsStepsFromOne() throws Exception {
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle(); // at step 2 of 4: pausing for 2m
        String jsonPath = stepColumnJsonPath();
        var rollout = new java.util.HashMap<String, Object>();
        rollout.put("status", JSON.convertValue(world.status, Map.class));

        assertThat(String.valueOf(evaluate(rollout, jsonPath))).as(jsonPath).isEqualTo("2/4");

        world.advance(Duration.ofMinutes(2));
        world.settle(); // waits at the last step, for a person
        rollout.put("status", JSON.convertValue(world.status, Map.class));
        assertThat(String.valueOf(evaluate(rollout, jsonPath))).isEqualTo("4/4");

        world.spec.promote = RolloutFixtures.promote("p1", false);
        world.settle();
        assertThat(world.status.stableRevision).isEqualTo(V2);
        rollout.put("status", JSON.convertValue(world.status, Map.class));
        assertThat(evaluate(rollout, jsonPath)).as("no canary, no step").isNull();
    }

    private static String stepColumnJsonPath() throws java.io.IOException {
        var crd = JSON.unmarshal(java.nio.file.Files.readString(io.sluice.crd.CrdGeneration.crdsDir().resolve("rollouts.sluice.io.yaml")),
                io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition.class);
        return crd.getSpec().getVersions().getFirst().getAdditionalPrinterColumns().stream()
                .filter(c -> c.getName().equals("Step")).findFirst().orElseThrow().getJsonPath();
    }

    @SuppressWarnings("unchecked")
    private static Object evaluate(Map<String, Object> object, String jsonPath) {
        Object at = object;
        for (String key : jsonPath.replaceFirst("^\\.", "").split("\\.")) {
            at = at instanceof Map<?, ?> m ? ((Map<String, Object>) m).get(key) : null;
        }
        return at;
    }

    @Test
    void aCanaryWhoseAnalysisCannotRunGetsNoTrafficAndItsStepWeightBackOnceItCan() {
        world = new World(spec(CanaryStep.weight(20), analysisStep(), CanaryStep.weight(60)));
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle();
        assertThat(world.weights).containsExactly(20);

        world.analysisUnusable = Optional.of("analysis template(s) not found: http-slo (namespace shop)");
        world.settle();
        assertThat(world.weights).as("taken off traffic").containsExactly(20, 0);
        assertThat(world.status.phase).isEqualTo(RolloutPhase.Degraded);
        assertThat(world.status.canaryRevision).isEqualTo(V2);
        assertThat(world.status.currentStepIndex).isEqualTo(1);
        assertThat(world.events).filteredOn(e -> e.reason().equals("CanaryHeld")).singleElement()
                .satisfies(e -> assertThat(e.message()).contains("was 20%", "step 2 of 3", "http-slo"));

        // The step does not go on while held, whatever its run says.
        world.runs.put(world.startedRuns.getFirst(), new Observation.RunState(AnalysisPhase.Successful, "ok"));
        world.advance(Duration.ofMinutes(5));
        world.settle();
        assertThat(world.status.currentStepIndex).isEqualTo(1);
        assertThat(world.weights).containsExactly(20, 0);

        world.analysisUnusable = Optional.empty();
        world.settle();
        assertThat(world.weights).as("the step's weight back, then on").containsExactly(20, 0, 20, 60, 0);
        assertThat(world.status.stableRevision).isEqualTo(V2);
        assertThat(world.eventReasons()).contains("CanaryResumed", "Promoted");
    }

    @Test
    void aFailedAnalysisStepRollsBackWithTheMetricAndValueInTheReason() {
        world = new World(spec(CanaryStep.weight(20), analysisStep(), CanaryStep.weight(60)));
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle();
        String run = world.startedRuns.getFirst();

        world.runs.put(run, new Observation.RunState(AnalysisPhase.Failed, "error-rate = 0.2013 breached `result < 0.01` (3 failed, limit 2)"));
        world.pass();

        assertThat(world.routedWeight).isZero();
        assertThat(world.status.phase).isEqualTo(RolloutPhase.Aborted);
        assertThat(world.status.abortedRevision.reason).isEqualTo("AnalysisFailed");
        assertThat(world.status.abortedRevision.message).contains("error-rate = 0.2013").contains("result < 0.01");
        assertThat(world.events).filteredOn(e -> e.reason().equals("AnalysisFailed")).singleElement()
                .satisfies(e -> assertThat(e.message()).contains("error-rate = 0.2013"));
        assertThat(world.stableDeploys).containsExactly(V1);
    }

    @Test
    void anInconclusiveAnalysisPausesUntilAPersonPromotes() {
        world = new World(spec(CanaryStep.weight(20), analysisStep(), CanaryStep.weight(60)));
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle();
        world.runs.put(world.startedRuns.getFirst(), new Observation.RunState(AnalysisPhase.Inconclusive, "error-rate: no data"));
        world.advance(Duration.ofHours(1));
        world.settle();
        assertThat(world.status.phase).isEqualTo(RolloutPhase.Paused);
        assertThat(world.status.message).contains("inconclusive").contains("no data");

        world.spec.promote = RolloutFixtures.promote("p1", false);
        world.settle();
        assertThat(world.weights).containsExactly(20, 60, 0);
    }

    @Test
    void aFailingBackgroundAnalysisRollsBackAtAnyStepAndIsStartedWithTheFirstTraffic() {
        RolloutSpec withBackground = spec(CanaryStep.weight(10), pause(null), CanaryStep.weight(50), pause(null));
        withBackground.strategy.canary.analysis = analysis();
        world = new World(withBackground);
        stableAt(V1);
        world.commit(V2, "t2");
        world.settle();
        assertThat(world.startedRuns).singleElement().asString().contains("-bg-");
        assertThat(world.status.backgroundAnalysis.name).isEqualTo(world.startedRuns.getFirst());

        world.runs.put(world.startedRuns.getFirst(), new Observation.RunState(AnalysisPhase.Failed, "p95 = 0.42 breached `result < 0.3`"));
        world.settle();

        assertThat(world.routedWeight).isZero();
        assertThat(world.status.abortedRevision.reason).isEqualTo("AnalysisFailed");
        assertThat(world.status.abortedRevision.message).contains("background analysis").contains("p95 = 0.42");
    }

    private static RolloutAnalysis analysis() {
        RolloutAnalysis analysis = new RolloutAnalysis();
        analysis.templates = List.of(new AnalysisTemplateRef("http-slo", false));
        return analysis;
    }

    private static CanaryStep analysisStep() {
        CanaryStep step = new CanaryStep();
        step.analysis = analysis();
        return step;
    }

    @Test
    void aStableThatDisappearsIsReportedAndRecreatedFromGit() {
        stableAt(V1);
        world.stable = WorkloadState.ABSENT;
        world.stableBecomesAvailable = false;

        world.pass();
        assertThat(world.status.phase).isEqualTo(RolloutPhase.Degraded);
        assertThat(world.status.message).contains("stable Deployment is missing");
        assertThat(world.stableDeploys).containsExactly(V1, V1);

        world.stableBecomesAvailable = true;
        world.settle();
        assertThat(world.status.phase).isEqualTo(RolloutPhase.Healthy);
        assertThat(world.eventReasons()).contains("StableRecreated");
    }

    // ---- the simulated cluster ------------------------------------------------------------------

    private void stableAt(String revision) {
        world.commit(revision, "t1");
        world.settle();
        world.weights.clear();
        world.actionsTaken.clear();
        world.events.clear();
        world.stableDeploys.clear();
        world.stableDeploys.add(revision);
        world.applied.clear();
        world.applied.add(revision);
    }

    private static RolloutSpec spec(CanaryStep... steps) {
        RolloutSpec spec = RolloutFixtures.checkout("https://git.example.com/x.git").getSpec();
        spec.strategy.canary.steps = List.of(steps);
        return spec;
    }

    private static CanaryStep pause(String duration) {
        CanaryStep step = new CanaryStep();
        step.pause = new Pause();
        step.pause.duration = duration;
        return step;
    }



    /** Deployments that become available at once (unless told otherwise), a clock, and a record of what was done. */
    private final class World {
        final RolloutSpec spec;
        RolloutStatus status = new RolloutStatus();
        Instant now = Instant.parse("2026-11-22T10:00:00Z");
        Optional<DesiredRevision> desired = Optional.empty();
        WorkloadState stable = WorkloadState.ABSENT;
        WorkloadState canary = WorkloadState.ABSENT;
        boolean canaryBecomesAvailable = true;
        boolean stableBecomesAvailable = true;
        final List<Integer> weights = new ArrayList<>();
        final List<String> stableDeploys = new ArrayList<>();
        final List<String> canaryDeploys = new ArrayList<>();
        final List<String> applied = new ArrayList<>();
        final List<Action> actionsTaken = new ArrayList<>();
        final List<RolloutEvent> events = new ArrayList<>();
        /** AnalysisRuns as the AnalysisRun controller would leave them; tests set their verdicts. */
        final Map<String, Observation.RunState> runs = new java.util.HashMap<>();
        final List<String> startedRuns = new ArrayList<>();
        final List<String> terminatedRuns = new ArrayList<>();
        String templateOfCanary;
        /** Why the analyses cannot run, when a template is missing (as the reconciler observes it). */
        Optional<String> analysisUnusable = Optional.empty();
        /** What the VirtualService routes to the canary now; {@link #weights} records each change. */
        int routedWeight;

        World(RolloutSpec spec) {
            this.spec = spec;
        }

        /** A commit whose workload runs the image shop/checkout:{templateHash}. */
        void commit(String revision, String templateHash) {
            desired = Optional.of(new DesiredRevision(revision, templateHash, List.of("shop/checkout:" + templateHash)));
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        /** One reconcile: plan, act, store the status as the API would (JSON round trip). */
        DeliveryPlan pass() {
            // the Deployment controller's part: a Deployment becomes available when allowed to
            if (stable.exists() && !stable.available() && stableBecomesAvailable) {
                stable = new WorkloadState(true, stable.revision(), stable.templateHash(), stable.replicas(), stable.replicas(), true,
                        stable.images());
            }
            if (canary.exists() && canary.replicas() > 0 && !canary.available() && canaryBecomesAvailable) {
                canary = new WorkloadState(true, canary.revision(), canary.templateHash(), canary.replicas(), canary.replicas(), true,
                        canary.images());
            }
            DeliveryPlan plan = planner.plan("checkout", spec, status,
                    new Observation(desired, stable, canary, now, Map.copyOf(runs), analysisUnusable));
            for (Action action : plan.actions()) {
                actionsTaken.add(action);
                switch (action) {
                    case Action.ApplyObjects a -> applied.add(a.revision());
                    case Action.DeployStable d -> {
                        stableDeploys.add(d.revision());
                        String hash = d.fromCanary() ? templateOfCanary : desired.orElseThrow().templateHash();
                        stable = new WorkloadState(true, d.revision(), hash, 3, stable.exists() ? stable.availableReplicas() : 0, false,
                                d.fromCanary() ? canary.images() : desired.orElseThrow().images());
                    }
                    case Action.DeployCanary d -> {
                        canaryDeploys.add(d.revision());
                        templateOfCanary = desired.orElseThrow().templateHash();
                        canary = new WorkloadState(true, d.revision(), templateOfCanary, 3, 0, false, desired.orElseThrow().images());
                    }
                    case Action.ScaleDownCanary s -> canary = new WorkloadState(canary.exists(), canary.revision(), canary.templateHash(), 0, 0, true,
                            canary.images());
                    case Action.StartAnalysis a -> {
                        startedRuns.add(a.name());
                        runs.putIfAbsent(a.name(), new Observation.RunState(AnalysisPhase.Running, "measuring"));
                    }
                    case Action.TerminateAnalysis t -> terminatedRuns.add(t.name());
                    case Action.SetCanaryWeight w -> {
                        if (w.weight() != routedWeight) {
                            weights.add(w.weight());
                        }
                        routedWeight = w.weight();
                    }
                }
            }
            events.addAll(plan.events());
            status = JSON.unmarshal(JSON.asJson(plan.status()), RolloutStatus.class);
            return plan;
        }

        /** Reconciles until the planner has nothing more to do right now (no action, no immediate requeue). */
        void settle() {
            for (int i = 0; i < 50; i++) {
                DeliveryPlan plan = pass();
                boolean immediate = plan.requeueAfter().map(d -> d.compareTo(DeliveryPlanner.NEXT) <= 0).orElse(false);
                if (plan.actions().isEmpty() && !immediate) {
                    return;
                }
            }
            throw new AssertionError("the planner did not settle: " + status.message);
        }

        void runUntil(java.util.function.BooleanSupplier condition) {
            for (int i = 0; i < 50 && !condition.getAsBoolean(); i++) {
                pass();
                if (!condition.getAsBoolean()) {
                    advance(Duration.ofSeconds(30));
                }
            }
        }

        List<String> eventReasons() {
            return events.stream().map(RolloutEvent::reason).toList();
        }
    }
}
