package io.sluice.operator;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.api.v1alpha1.AnalysisPhase;
import io.sluice.api.v1alpha1.AnalysisRun;
import io.sluice.api.v1alpha1.AnalysisRunStatus;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.analysis.QueryValue;
import io.sluice.analysis.Reading;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.core.RolloutFixtures;
import io.sluice.sandbox.SandboxDeploymentController;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.testing.kube.MockKubeApi;
import io.sluice.testing.time.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The traffic brake: a failed analysis sends the Rollout's traffic to stable by itself, before the
 * Rollout's own reconcile runs, and a reconcile that decided before the brake cannot act after it.
 * Reconciles are called one at a time (the test is the scheduler) against the mock API.
 */
class TrafficBrakeMockTest {
    @RegisterExtension
    static final MockKubeApi API = MockKubeApi.start();
    private static final AtomicInteger NAMES = new AtomicInteger();

    @TempDir
    Path cache;

    private final KubernetesClient client = API.client();
    private final MutableClock clock = new MutableClock();
    private String namespace;
    private GitRepoFixture repo;
    private SandboxDeploymentController deployments;
    private ManualOperator operator;

    @BeforeEach
    void setUp() {
        namespace = "brake-" + NAMES.incrementAndGet();
        repo = GitRepoFixture.create();
        deployments = new SandboxDeploymentController(client, namespace);
        operator = new ManualOperator(client, clock, cache);
        RolloutFixtures.createAnalysisTemplate(client, namespace);
    }

    @AfterEach
    void tearDown() {
        deployments.close();
        repo.close();
    }

    @Test
    void aFailedAnalysisSendsTrafficToStableBeforeTheRolloutIsReconciled() {
        AnalysisRun run = canaryAtTenPercentWithItsAnalysisRunning();

        var analyses = new AnalysisRunReconciler(client, new StatusWriter(client),
                (metric, args) -> Reading.Taken.of(new QueryValue.Single(0.2)), new ClusterSecrets(client),
                new RolloutMetrics(new SimpleMeterRegistry()), operator.brake, TestConfig.of(cache), clock);
        assertThat(run.getStatus()).as("a run not measured yet").isNull();
        analyses.reconcile(run, null); // measures 0.2 against `result < 0.01`: Failed, and the brake engages
        AnalysisRun failed = client.resource(run).get();
        assertThat(failed.getStatus().phase).isEqualTo(AnalysisPhase.Failed);

        assertThat(weights()).as("the VirtualService, right after the brake").containsExactly(100, 0);
        Rollout untouched = rollout();
        assertThat(untouched.getStatus().phase).as("the abort itself is the Rollout reconcile's").isEqualTo(RolloutPhase.Progressing);
        assertThat(untouched.getStatus().canaryWeight).isEqualTo(10);

        reconcile();
        Rollout aborted = rollout();
        assertThat(aborted.getStatus().phase).isEqualTo(RolloutPhase.Aborted);
        assertThat(aborted.getStatus().message).contains("analysis " + run.getMetadata().getName() + " failed");
        assertThat(aborted.getStatus().canaryWeight).isZero();
        assertThat(weights()).containsExactly(100, 0);
        assertThat(deployment("checkout-stable").getSpec().getTemplate().getSpec().getContainers().getFirst().getImage())
                .as("stable untouched").isEqualTo("checkout:1.0");

        String version = vsResourceVersion();
        assertThat(operator.brake.engage(failed, AnalysisPhase.Failed)).isEqualTo(TrafficBrake.Outcome.ENGAGED);
        assertThat(vsResourceVersion()).as("engaging again writes nothing").isEqualTo(version);
    }

    @Test
    void aPassThatDecidedBeforeTheBrakeDoesNothingAfterIt() throws Exception {
        AnalysisRun run = canaryAtTenPercentWithItsAnalysisRunning();
        Rollout seenBefore = rollout();
        long epoch = operator.brake.epoch(seenBefore);

        operator.brake.engage(fail(run), AnalysisPhase.Failed);

        AtomicBoolean acted = new AtomicBoolean();
        assertThat(operator.brake.unlessEngagedSince(seenBefore, epoch, () -> acted.set(true))).isFalse();
        assertThat(acted).as("actions decided on the old observation are not performed").isFalse();
        assertThat(operator.brake.unlessEngagedSince(seenBefore, operator.brake.epoch(seenBefore), () -> acted.set(true)))
                .as("a pass that starts after the brake acts").isTrue();
        assertThat(acted).isTrue();
    }

    @Test
    void aRunThatIsNotTheRolloutsCurrentAnalysisLeavesTrafficAlone() {
        AnalysisRun run = canaryAtTenPercentWithItsAnalysisRunning();
        AnalysisRun stale = client.resource(copyNamed(run, run.getMetadata().getName() + "-old")).create();

        assertThat(operator.brake.engage(fail(stale), AnalysisPhase.Failed)).isEqualTo(TrafficBrake.Outcome.NOT_CURRENT);
        assertThat(weights()).containsExactly(90, 10);
    }

    @Test
    void aCanaryPastItsLastStepIsLeftToTheRolloutsReconcile() {
        AnalysisRun run = canaryAtTenPercentWithItsAnalysisRunning();
        Rollout promoting = rollout();
        promoting.getStatus().currentStepIndex = promoting.getSpec().strategy.canary.steps.size();
        client.resource(promoting).updateStatus();

        assertThat(operator.brake.engage(fail(run), AnalysisPhase.Failed))
                .as("promotion may have begun: stable may already run the canary's template")
                .isEqualTo(TrafficBrake.Outcome.NOT_CURRENT);
        assertThat(weights()).containsExactly(90, 10);
    }

    @Test
    void aPendingPromoteOrAPauseIsLeftToTheRolloutsReconcile() {
        AnalysisRun run = canaryAtTenPercentWithItsAnalysisRunning();
        RolloutFixtures.editRollout(client, namespace, "checkout", r -> r.getSpec().promote = RolloutFixtures.promote("p1", false));
        AnalysisRun failed = fail(run);
        assertThat(operator.brake.engage(failed, AnalysisPhase.Failed))
                .as("the planner takes a pending promote before it looks at the step's analysis")
                .isEqualTo(TrafficBrake.Outcome.NOT_CURRENT);

        RolloutFixtures.editRollout(client, namespace, "checkout", r -> {
            r.getSpec().promote = null;
            r.getSpec().paused = true;
        });
        assertThat(operator.brake.engage(failed, AnalysisPhase.Failed)).as("a paused Rollout decides nothing")
                .isEqualTo(TrafficBrake.Outcome.NOT_CURRENT);
        assertThat(weights()).containsExactly(90, 10);

        RolloutFixtures.editRollout(client, namespace, "checkout", r -> r.getSpec().paused = false);
        assertThat(operator.brake.engage(failed, AnalysisPhase.Failed)).isEqualTo(TrafficBrake.Outcome.ENGAGED);
        assertThat(weights()).containsExactly(100, 0);
    }

    /** v1 becomes stable, v2's canary takes 10 % and its step analysis starts. */
    private AnalysisRun canaryAtTenPercentWithItsAnalysisRunning() {
        repo.commit("v1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        Rollout rollout = RolloutFixtures.checkout(repo.fileUrl());
        rollout.getMetadata().setNamespace(namespace);
        rollout.getMetadata().setGeneration(null);
        client.resource(rollout).create();
        reconcileUntil(r -> r.getStatus() != null && r.getStatus().phase == RolloutPhase.Healthy);

        repo.commit("v2", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
        clock.advance(Duration.ofMinutes(1));
        Rollout analysing = reconcileUntil(r -> r.getStatus().stepAnalysis != null);
        assertThat(weights()).containsExactly(90, 10);
        return client.resources(AnalysisRun.class).inNamespace(namespace).withName(analysing.getStatus().stepAnalysis.name).get();
    }

    private AnalysisRun fail(AnalysisRun run) {
        AnalysisRun copy = client.resources(AnalysisRun.class).inNamespace(namespace).withName(run.getMetadata().getName()).get();
        copy.setStatus(new AnalysisRunStatus());
        copy.getStatus().phase = AnalysisPhase.Failed;
        copy.getStatus().message = "error-rate = 0.2 breached `result < 0.01`";
        return client.resource(copy).updateStatus();
    }

    private AnalysisRun copyNamed(AnalysisRun run, String name) {
        AnalysisRun copy = client.getKubernetesSerialization().clone(run);
        copy.getMetadata().setName(name);
        copy.getMetadata().setResourceVersion(null);
        copy.getMetadata().setUid(null);
        copy.setStatus(null);
        return copy;
    }

    private Rollout reconcileUntil(java.util.function.Predicate<Rollout> done) {
        for (int i = 0; i < 12; i++) {
            reconcile();
            Rollout now = rollout();
            if (done.test(now)) {
                return now;
            }
        }
        throw new AssertionError("not reached after 12 reconciles: " + rollout().getStatus());
    }

    private void reconcile() {
        operator.reconciler.reconcile(rollout(), null);
        await().atMost(Duration.ofSeconds(10)).until(() -> client.apps().deployments().inNamespace(namespace).list().getItems()
                .stream().allMatch(d -> d.getStatus() != null && d.getStatus().getObservedGeneration() != null
                        && d.getStatus().getObservedGeneration() >= d.getMetadata().getGeneration()));
    }

    private Rollout rollout() {
        return client.resources(Rollout.class).inNamespace(namespace).withName("checkout").get();
    }

    private Deployment deployment(String name) {
        return client.apps().deployments().inNamespace(namespace).withName(name).get();
    }

    private String vsResourceVersion() {
        return client.genericKubernetesResources("networking.istio.io/v1", "VirtualService").inNamespace(namespace)
                .withName("checkout").get().getMetadata().getResourceVersion();
    }

    /** The weights of the managed route "primary", stable first. */
    @SuppressWarnings("unchecked")
    private List<Integer> weights() {
        GenericKubernetesResource vs = client.genericKubernetesResources("networking.istio.io/v1", "VirtualService")
                .inNamespace(namespace).withName("checkout").get();
        var http = (List<Map<String, Object>>) ((Map<String, Object>) vs.getAdditionalProperties().get("spec")).get("http");
        var route = (List<Map<String, Object>>) http.getFirst().get("route");
        return route.stream().map(d -> d.get("weight") == null ? 100 : ((Number) d.get("weight")).intValue()).toList();
    }
}
