package io.sluice.core;

import io.sluice.api.v1alpha1.Condition;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.api.v1alpha1.RolloutStatus;
import io.sluice.core.ValidationPlanner.Plan;
import io.sluice.core.ValidationPlanner.SourceOutcome;
import io.sluice.manifest.ManifestSet;
import io.sluice.source.GitSnapshot;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ValidationPlannerTest {
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private static final String REV = "3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39";
    private static final GitSnapshot SNAPSHOT = new GitSnapshot(REV, "refs/heads/main", Map.of());

    @Test
    void aValidRolloutHasItsConditionsTrueAndLeavesThePhaseToDelivery() {
        Plan plan = ValidationPlanner.plan(rollout(), SourceOutcome.read(SNAPSHOT, 3), List.of(), T0);

        RolloutStatus status = plan.status();
        assertThat(status.phase).isNull();
        assertThat(status.observedGeneration).isEqualTo(1L);
        assertThat(status.source.revision).isEqualTo(REV);
        assertThat(status.condition(ConditionTypes.SOURCE_READY)).get()
                .satisfies(c -> {
                    assertThat(c.status).isEqualTo("True");
                    assertThat(c.reason).isEqualTo("Fetched");
                    assertThat(c.lastTransitionTime).isEqualTo(T0.toString());
                    assertThat(c.observedGeneration).isEqualTo(1L);
                });
        assertThat(status.condition(ConditionTypes.REFERENCES_RESOLVED)).get().extracting(c -> c.reason).isEqualTo("Resolved");
        assertThat(plan.events()).containsExactly(RolloutEvent.normal("Validated", "source and references are in order"));
    }

    @Test
    void aDegradedPhaseFromDeliveryIsNotAValidationProblem() {
        Rollout rollout = rollout();
        RolloutStatus previous = ValidationPlanner.plan(rollout, SourceOutcome.read(SNAPSHOT, 3), List.of(), T0).status();
        previous.phase = RolloutPhase.Degraded;
        previous.message = "stable 3f2a9c1d8e7b is not fully available (1/7 pods)";
        rollout.setStatus(previous);

        Plan plan = ValidationPlanner.plan(rollout, SourceOutcome.read(SNAPSHOT, 3), List.of(), T0.plusSeconds(5));

        assertThat(plan.problem()).isEmpty();
        assertThat(plan.status().phase).as("left for the delivery planner to decide again").isEqualTo(RolloutPhase.Degraded);
    }

    @Test
    void anUnreachableSourceDegradesTheRolloutWithAWarning() {
        Problem unreachable = new Problem("GitUnreachable", "cannot fetch https://git.example.com/x.git: connection refused");
        Plan plan = ValidationPlanner.plan(rollout(), SourceOutcome.failed(unreachable), List.of(), T0);

        assertThat(plan.status().phase).isEqualTo(RolloutPhase.Degraded);
        assertThat(plan.status().message).isEqualTo(unreachable.message());
        assertThat(plan.problem()).contains(unreachable.message());
        assertThat(plan.status().condition(ConditionTypes.SOURCE_READY)).get()
                .extracting(c -> c.status, c -> c.reason).containsExactly("False", "GitUnreachable");
        assertThat(plan.status().condition(ConditionTypes.REFERENCES_RESOLVED)).get()
                .extracting(c -> c.status).isEqualTo("Unknown");
        assertThat(plan.events()).containsExactly(RolloutEvent.warning("GitUnreachable", unreachable.message()));
    }

    @Test
    void allReferenceProblemsAreReportedTogether() {
        List<Problem> problems = List.of(new Problem("AnalysisTemplateNotFound", "analysis template(s) not found: http-slo"),
                new Problem("WorkloadNotFound", "Deployment checkout is not among the manifests"));
        Plan plan = ValidationPlanner.plan(rollout(), SourceOutcome.read(SNAPSHOT, 1), problems, T0);

        Condition refs = plan.status().condition(ConditionTypes.REFERENCES_RESOLVED).orElseThrow();
        assertThat(refs.reason).isEqualTo("AnalysisTemplateNotFound");
        assertThat(refs.message).contains("http-slo").contains("Deployment checkout");
        assertThat(plan.status().phase).isEqualTo(RolloutPhase.Degraded);
    }

    @Test
    void anUnchangedProblemKeepsItsTransitionTimeAndRaisesNoNewEvent() {
        Problem unreachable = new Problem("GitUnreachable", "connection refused");
        Rollout rollout = rollout();
        rollout.setStatus(ValidationPlanner.plan(rollout, SourceOutcome.failed(unreachable), List.of(), T0).status());

        Plan later = ValidationPlanner.plan(rollout, SourceOutcome.failed(unreachable), List.of(), T0.plusSeconds(60));

        assertThat(later.events()).isEmpty();
        assertThat(later.status().condition(ConditionTypes.SOURCE_READY).orElseThrow().lastTransitionTime)
                .isEqualTo(T0.toString());
    }

    @Test
    void recoveringMovesTheTransitionTimeAndAnnouncesIt() {
        Rollout rollout = rollout();
        rollout.setStatus(ValidationPlanner.plan(rollout, SourceOutcome.failed(new Problem("GitUnreachable", "down")),
                List.of(), T0).status());

        Plan recovered = ValidationPlanner.plan(rollout, SourceOutcome.read(SNAPSHOT, 3), List.of(), T0.plusSeconds(60));

        assertThat(recovered.status().condition(ConditionTypes.SOURCE_READY).orElseThrow().lastTransitionTime)
                .isEqualTo(T0.plusSeconds(60).toString());
        assertThat(recovered.events()).extracting(RolloutEvent::reason).containsExactly("Validated");
    }

    @Test
    void theInputRolloutIsNotModified() {
        Rollout rollout = rollout();
        rollout.setStatus(new RolloutStatus());
        ValidationPlanner.plan(rollout, SourceOutcome.read(SNAPSHOT, 3), List.of(), T0);
        assertThat(rollout.getStatus().conditions).isEmpty();
        assertThat(rollout.getStatus().phase).isNull();
    }

    @Test
    void referenceCheckFindsMissingWorkloadAndRoute() throws Exception {
        Rollout rollout = rollout();
        ManifestSet manifests = ManifestSet.parse(Map.of("vs.yaml", """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: checkout}
                spec: {http: [{name: canary-route}, {name: other}]}
                """));
        var found = new ReferenceCheck.Found(List.of(), manifests.find("networking.istio.io", "VirtualService", "checkout")
                .map(m -> m.object()), java.util.Optional.empty());

        List<Problem> problems = ReferenceCheck.problems(rollout.getSpec(), "shop", "apps/checkout", manifests, found);

        assertThat(problems).extracting(Problem::reason).containsExactly("WorkloadNotFound", "RouteNotFound");
        assertThat(problems.get(1).message()).contains("no HTTP route named primary").contains("canary-route, other");
    }

    @Test
    void referenceCheckAcceptsTheCheckoutManifests() throws Exception {
        ManifestSet manifests = ManifestSet.parse(RolloutFixtures.checkoutManifests());
        var found = new ReferenceCheck.Found(List.of(), manifests.find("networking.istio.io", "VirtualService", "checkout")
                .map(m -> m.object()), java.util.Optional.empty());
        assertThat(ReferenceCheck.problems(rollout().getSpec(), "shop", "apps/checkout", manifests, found)).isEmpty();
    }

    @Test
    void specCheckReportsMissingRequiredFieldsInsteadOfCrashing() {
        Rollout rollout = rollout();
        rollout.getSpec().workloadRef = null;
        rollout.getSpec().source.git.interval = "soon";
        assertThat(SpecCheck.problems(rollout.getSpec())).extracting(Problem::message)
                .containsExactly("required field(s) missing: workloadRef.name",
                        "source.git.interval: not a duration: 'soon' (expected e.g. 30s, 1m, 1h30m)");
        assertThat(SpecCheck.problems(rollout().getSpec())).isEmpty();
    }

    private static Rollout rollout() {
        return RolloutFixtures.checkout("https://git.example.com/shop/deploy.git");
    }
}
