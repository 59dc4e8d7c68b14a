package io.sluice.operator;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.Condition;
import io.sluice.api.v1alpha1.Pause;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.core.ConditionTypes;
import io.sluice.core.RolloutFixtures;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.sandbox.SandboxDeploymentController;
import io.sluice.testing.kube.OperatorOnMockApi;
import io.sluice.testing.time.MutableClock;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A commit in a real Git repository becomes a canary that the operator, running against the mock
 * API, walks through its steps by rewriting the VirtualService. A stand-in Deployment controller
 * makes Deployments available (the mock has none); the operator's clock is moved by the test.
 */
@QuarkusTest
@QuarkusTestResource(OperatorOnMockApi.class)
class CanaryDeliveryMockTest {
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    KubernetesClient client;
    @Inject
    MutableClock clock;

    private GitRepoFixture repo;
    private SandboxDeploymentController deployments;
    private String namespace;
    private final List<Integer> canaryWeights = new CopyOnWriteArrayList<>();
    private Watch vsWatch;

    @BeforeEach
    void setUp() {
        namespace = "shop-" + NAMES.incrementAndGet();
        repo = GitRepoFixture.create();
        deployments = new SandboxDeploymentController(client, namespace);
        RolloutFixtures.createAnalysisTemplate(client, namespace);
        vsWatch = client.genericKubernetesResources("networking.istio.io/v1", "VirtualService").inNamespace(namespace)
                .watch(new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, GenericKubernetesResource vs) {
                        Integer w = canaryWeight(vs);
                        if (w != null && (canaryWeights.isEmpty() || !canaryWeights.getLast().equals(w))) {
                            canaryWeights.add(w);
                        }
                    }

                    @Override
                    public void onClose(WatcherException cause) {
                    }
                });
    }

    @AfterEach
    void tearDown() {
        vsWatch.close();
        deployments.close();
        repo.close();
    }

    @Test
    void aCommitIsRunAsACanaryStepByStepAndPromoted() {
        String v1 = repo.commit("checkout 1.0", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        Rollout rollout = create(r -> { });

        Rollout healthy = awaitPhase(rollout, RolloutPhase.Healthy);
        assertThat(healthy.getStatus().stableRevision).isEqualTo(v1);
        assertThat(image("checkout-stable")).isEqualTo("checkout:1.0");
        assertThat(client.services().inNamespace(namespace).withName("checkout-stable").get().getSpec().getSelector())
                .containsEntry("sluice.io/role", "stable").containsEntry("app", "checkout");
        assertThat(canaryWeights).containsExactly(0);

        String v2 = repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
        awaitStep(rollout, 1);
        assertThat(image("checkout-canary")).isEqualTo("checkout:1.1");
        assertThat(image("checkout-stable")).as("stable untouched during the canary").isEqualTo("checkout:1.0");
        assertThat(weightsInVirtualService()).containsExactly(95, 5);
        assertThat(get(rollout).getStatus().canaryRevision).isEqualTo(v2);
        await().atMost(WAIT).untilAsserted(() -> assertThat(metricsEndpoint())
                .contains("sluice_rollout_canary_weight{namespace=\"" + namespace + "\",rollout=\"checkout\"} 5.0")
                .containsPattern("sluice_rollouts\\{phase=\"Progressing\"} [1-9]"));
        assertThat(metricsEndpoint()).as("the operator SDK's metrics are per controller, with no per-resource series")
                .containsPattern("operator_sdk_reconciliations_success_total\\{[^}]*kind=\"Rollout\"")
                .doesNotContainPattern("operator_sdk_[a-z_]+\\{[^}]*name=\"checkout\"")
                .doesNotContainPattern("operator_sdk_[a-z_]+\\{[^}]*namespace=\"" + namespace + "\"");
        await().atMost(WAIT).until(() -> get(rollout).getStatus().pauseStartTime != null);

        clock.advance(Duration.ofMinutes(2));
        Rollout paused = awaitPhase(rollout, RolloutPhase.Paused);
        assertThat(paused.getStatus().currentStepIndex).isEqualTo(3);
        assertThat(weightsInVirtualService()).containsExactly(50, 50);

        clock.advance(Duration.ofHours(3));
        sleepQuietly(Duration.ofMillis(1500));
        assertThat(get(rollout).getStatus().phase).as("an indefinite pause holds").isEqualTo(RolloutPhase.Paused);

        edit(rollout, r -> r.getSpec().promote = RolloutFixtures.promote("p1", false));
        Rollout promoted = awaitPhase(rollout, RolloutPhase.Healthy);
        assertThat(promoted.getStatus().stableRevision).isEqualTo(v2);
        assertThat(promoted.getStatus().canaryRevision).isNull();
        assertThat(image("checkout-stable")).isEqualTo("checkout:1.1");
        assertThat(client.apps().deployments().inNamespace(namespace).withName("checkout-canary").get().getSpec().getReplicas()).isZero();
        assertThat(weightsInVirtualService()).containsExactly(100, 0);
        assertThat(canaryWeights).as("every weight the VirtualService carried, in order").containsExactly(0, 5, 50, 0);
        assertThat(eventReasons(rollout)).contains("CanaryStarted", "WeightSet", "PauseStarted", "PauseEnded",
                "PromotionStarted", "TrafficToStable", "Promoted");
    }

    @Test
    void abortSendsAllTrafficToStableAndScalesTheCanaryDownAfterTheDelay() {
        repo.commit("checkout 1.0", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        Rollout rollout = create(r -> { });
        awaitPhase(rollout, RolloutPhase.Healthy);
        repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
        awaitStep(rollout, 1);
        int stableReplicas = client.apps().deployments().inNamespace(namespace).withName("checkout-stable").get().getSpec().getReplicas();

        edit(rollout, r -> r.getSpec().abort = RolloutFixtures.request("a1"));

        Rollout aborted = awaitPhase(rollout, RolloutPhase.Aborted);
        assertThat(weightsInVirtualService()).containsExactly(100, 0);
        assertThat(aborted.getStatus().abortedRevision.reason).isEqualTo("AbortRequested");
        assertThat(client.apps().deployments().inNamespace(namespace).withName("checkout-canary").get().getSpec().getReplicas())
                .as("kept during the delay").isPositive();

        clock.advance(Duration.ofSeconds(31));
        await().atMost(WAIT).untilAsserted(() -> assertThat(client.apps().deployments().inNamespace(namespace)
                .withName("checkout-canary").get().getSpec().getReplicas()).isZero());
        Deployment stable = client.apps().deployments().inNamespace(namespace).withName("checkout-stable").get();
        assertThat(stable.getSpec().getReplicas()).isEqualTo(stableReplicas);
        assertThat(image("checkout-stable")).isEqualTo("checkout:1.0");

        edit(rollout, r -> r.getSpec().retry = RolloutFixtures.request("r1"));
        // the aborted rollout still says step 1: wait for the retried canary's traffic itself
        await().atMost(WAIT).untilAsserted(() -> assertThat(weightsInVirtualService()).containsExactly(95, 5));
        assertThat(get(rollout).getStatus().currentStepIndex).isEqualTo(1);
    }

    @Test
    void anAbortWithTheVirtualServiceDeletedIsRecordedAndTheCanaryScaledToZero() {
        repo.commit("checkout 1.0", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        Rollout rollout = create(r -> { });
        awaitPhase(rollout, RolloutPhase.Healthy);
        String v2 = repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
        awaitStep(rollout, 1);

        client.genericKubernetesResources("networking.istio.io/v1", "VirtualService").inNamespace(namespace)
                .withName("checkout").delete();
        edit(rollout, r -> r.getSpec().abort = RolloutFixtures.request("a1"));

        Rollout aborted = awaitPhase(rollout, RolloutPhase.Aborted);
        assertThat(aborted.getStatus().abortedRevision.revision).isEqualTo(v2);
        assertThat(aborted.getStatus().canaryWeight).isZero();
        assertThat(client.apps().deployments().inNamespace(namespace).withName("checkout-canary").get().getSpec().getReplicas())
                .as("no canary pod left to serve").isZero();
        assertThat(client.apps().deployments().inNamespace(namespace).withName("checkout-stable").get().getSpec()
                .getTemplate().getSpec().getContainers().getFirst().getImage()).isEqualTo("checkout:1.0");
    }

    @Test
    @SuppressWarnings("unchecked")
    void aHandEditOfTheManagedWeightsIsSetBackAndReported() {
        repo.commit("checkout 1.0", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        Rollout rollout = create(r -> { });
        awaitPhase(rollout, RolloutPhase.Healthy);
        repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
        awaitStep(rollout, 1);
        assertThat(weightsInVirtualService()).containsExactly(95, 5);

        client.genericKubernetesResources("networking.istio.io/v1", "VirtualService").inNamespace(namespace)
                .withName("checkout").edit(vs -> {
                    for (Map<String, Object> destination : routeOf(vs)) {
                        destination.put("weight", 50);
                    }
                    return vs;
                });

        await().atMost(WAIT).untilAsserted(() -> assertThat(weightsInVirtualService()).as("set back from status")
                .containsExactly(95, 5));
        assertThat(canaryWeights).containsSubsequence(5, 50, 5);
        await().atMost(WAIT).untilAsserted(() -> assertThat(eventReasons(rollout)).contains("WeightDriftCorrected"));
        assertThat(get(rollout).getStatus().canaryWeight).isEqualTo(5);
        assertThat(get(rollout).getStatus().currentStepIndex).as("the step is not disturbed").isEqualTo(1);
    }

    /**
     * Paused indefinitely, nothing requeues the Rollout (no timer, no step) and the resync is minutes away:
     * only a watch on the VirtualService can notice the edit. The operator's clock is not moved.
     */
    @Test
    void aHandEditOfTheManagedWeightsIsSetBackWithinTwoSecondsWithoutWaitingForAResync() {
        Rollout rollout = pausedAtFivePercent();

        long edited = System.nanoTime();
        editWeightsInVirtualService(50);

        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20)).untilAsserted(() ->
                assertThat(weightsInVirtualService()).as("set back from status, woken by the edit itself")
                        .containsExactly(95, 5));
        System.out.printf("hand edit 50/50 -> set back to 95/5 after %d ms%n", (System.nanoTime() - edited) / 1_000_000);
        assertThat(canaryWeights).containsSubsequence(5, 50, 5);
        await().atMost(WAIT).untilAsserted(() -> assertThat(eventReasons(rollout)).contains("WeightDriftCorrected"));
        Rollout after = get(rollout);
        assertThat(after.getStatus().canaryWeight).isEqualTo(5);
        assertThat(after.getStatus().phase).isEqualTo(RolloutPhase.Paused);
        assertThat(after.getStatus().condition(ConditionTypes.WEIGHTS_UNCONTESTED)).as("one edit is not a fight").isEmpty();
    }

    /** Sluice's own weight writes wake it through the same watch: that must settle, not feed itself. */
    @Test
    void sluicesOwnWeightWritesDoNotKeepWakingTheRollout() {
        Rollout rollout = pausedAtFivePercent();
        editWeightsInVirtualService(50);
        await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(weightsInVirtualService()).containsExactly(95, 5));
        sleepQuietly(Duration.ofSeconds(1));

        String versionBefore = client.genericKubernetesResources("networking.istio.io/v1", "VirtualService")
                .inNamespace(namespace).withName("checkout").get().getMetadata().getResourceVersion();
        String statusBefore = get(rollout).getMetadata().getResourceVersion();
        int eventsBefore = eventReasons(rollout).size();
        sleepQuietly(Duration.ofSeconds(3));
        assertThat(client.genericKubernetesResources("networking.istio.io/v1", "VirtualService").inNamespace(namespace)
                .withName("checkout").get().getMetadata().getResourceVersion()).as("no further VirtualService writes")
                .isEqualTo(versionBefore);
        assertThat(get(rollout).getMetadata().getResourceVersion()).as("no further status writes").isEqualTo(statusBefore);
        assertThat(eventReasons(rollout)).as("no further events").hasSize(eventsBefore);
    }

    /**
     * A GitOps tool syncing the VirtualService from Git (with weights in it) and Sluice would set the weights
     * back and forth for ever; each correction alone looks routine. Repeated, it is reported as the fight it is.
     */
    @Test
    void anotherWriterThatKeepsChangingTheWeightsIsReportedAsAFight() {
        Rollout rollout = pausedAtFivePercent();
        for (int i = 0; i < WeightFights.THRESHOLD; i++) {
            editWeightsInVirtualService(50);
            await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(weightsInVirtualService()).containsExactly(95, 5));
        }

        Condition contested = awaitCondition(rollout, ConditionTypes.WEIGHTS_UNCONTESTED, "False");
        assertThat(contested.reason).isEqualTo("AnotherWriter");
        assertThat(contested.message).contains("VirtualService checkout", "another writer keeps changing",
                WeightFights.THRESHOLD + " times");
        await().atMost(WAIT).untilAsserted(() -> assertThat(client.v1().events().inNamespace(namespace).list().getItems())
                .anySatisfy(e -> {
                    assertThat(e.getReason()).isEqualTo("WeightDriftCorrected");
                    assertThat(e.getType()).isEqualTo("Warning");
                    assertThat(e.getMessage()).contains("another writer keeps changing");
                }));
        Rollout after = get(rollout);
        assertThat(after.getStatus().canaryWeight).isEqualTo(5);
        assertThat(after.getStatus().phase).as("reported, and the delivery goes on as before").isEqualTo(RolloutPhase.Paused);
        assertThat(after.getStatus().currentStepIndex).isEqualTo(1);

        // A quiet window later (any wake-up will do: here an edit outside the managed weights) the fight is over.
        clock.advance(WeightFights.WINDOW.plusSeconds(1));
        client.genericKubernetesResources("networking.istio.io/v1", "VirtualService").inNamespace(namespace)
                .withName("checkout").edit(vs -> {
                    vs.getMetadata().setLabels(new HashMap<>(Map.of("team", "shop")));
                    @SuppressWarnings("unchecked")
                    Map<String, Object> spec = (Map<String, Object>) vs.getAdditionalProperties().get("spec");
                    spec.put("gateways", List.of("mesh"));
                    return vs;
                });
        Condition quiet = awaitCondition(rollout, ConditionTypes.WEIGHTS_UNCONTESTED, "True");
        assertThat(quiet.reason).isEqualTo("NoOtherWriter");
        assertThat(weightsInVirtualService()).containsExactly(95, 5);
    }

    /** A canary at 5 % held by an indefinite pause: nothing but a watch wakes its Rollout. */
    private Rollout pausedAtFivePercent() {
        repo.commit("checkout 1.0", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        CanaryStep indefinite = new CanaryStep();
        indefinite.pause = new Pause();
        Rollout rollout = create(r -> r.getSpec().strategy.canary.steps = List.of(CanaryStep.weight(5), indefinite));
        awaitPhase(rollout, RolloutPhase.Healthy);
        repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
        awaitPhase(rollout, RolloutPhase.Paused);
        assertThat(weightsInVirtualService()).containsExactly(95, 5);
        return rollout;
    }

    private void editWeightsInVirtualService(int each) {
        client.genericKubernetesResources("networking.istio.io/v1", "VirtualService").inNamespace(namespace)
                .withName("checkout").edit(vs -> {
                    for (Map<String, Object> destination : routeOf(vs)) {
                        destination.put("weight", each);
                    }
                    return vs;
                });
    }

    @Test
    void abortWorksWhileTheGitServerIsGone() {
        repo.commit("checkout 1.0", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        Rollout rollout = create(r -> { });
        awaitPhase(rollout, RolloutPhase.Healthy);
        repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
        awaitStep(rollout, 1);

        repo.close(); // the repository disappears: every fetch now fails
        awaitCondition(rollout, ConditionTypes.SOURCE_READY, "False");
        assertThat(weightsInVirtualService()).as("an unreadable source does not move traffic").containsExactly(95, 5);

        edit(rollout, r -> r.getSpec().abort = RolloutFixtures.request("a1"));
        Rollout aborted = awaitPhase(rollout, RolloutPhase.Aborted);
        assertThat(weightsInVirtualService()).containsExactly(100, 0);
        assertThat(aborted.getStatus().condition(ConditionTypes.SOURCE_READY).orElseThrow().reason).isEqualTo("GitUnreachable");
    }

    @Test
    void aCanaryDoesNotChangeWhatStableServesUntilItIsPromoted() {
        Map<String, String> v1 = RolloutFixtures.checkoutManifestsInRepo("checkout:1.0");
        v1.put("apps/checkout/config.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: checkout-config-v1}\n");
        repo.commit("v1", v1);
        Rollout rollout = create(r -> { });
        awaitPhase(rollout, RolloutPhase.Healthy);
        assertThat(client.services().inNamespace(namespace).withName("checkout").get().getSpec().getSelector())
                .as("Git's Service reaches stable pods only").containsEntry("sluice.io/role", "stable");

        Map<String, String> v2 = RolloutFixtures.checkoutManifestsInRepo("checkout:1.1");
        v2.put("apps/checkout/network.yaml", v2.get("apps/checkout/network.yaml").replace("ports: [{port: 80}]",
                "ports: [{port: 80, targetPort: 9090}]"));
        v2.put("apps/checkout/config.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: checkout-config-v2}\n");
        repo.commit("v2", v2);
        awaitStep(rollout, 1);

        assertThat(client.services().inNamespace(namespace).withName("checkout-stable").get().getSpec().getPorts()
                .getFirst().getTargetPort()).as("stable's Service as before").isNull();
        assertThat(client.services().inNamespace(namespace).withName("checkout-canary").get().getSpec().getPorts()
                .getFirst().getTargetPort().getIntVal()).isEqualTo(9090);
        assertThat(client.configMaps().inNamespace(namespace).withName("checkout-config-v1").get())
                .as("stable may still need it").isNotNull();
        assertThat(client.configMaps().inNamespace(namespace).withName("checkout-config-v2").get())
                .as("the canary's other objects wait for its promotion").isNull();

        edit(rollout, r -> r.getSpec().promote = RolloutFixtures.promote("full", true));
        awaitPhase(rollout, RolloutPhase.Healthy);
        assertThat(client.configMaps().inNamespace(namespace).withName("checkout-config-v2").get()).isNotNull();
        assertThat(client.services().inNamespace(namespace).withName("checkout-stable").get().getSpec().getPorts()
                .getFirst().getTargetPort().getIntVal()).isEqualTo(9090);
        assertThat(client.configMaps().inNamespace(namespace).withName("checkout-config-v1").get()).as("pruned at promotion").isNull();
    }

    @Test
    void objectsThatDoNotFitAreReportedNotCrashedOn() {
        repo.commit("checkout 1.0", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        Rollout rollout = create(r -> { });
        awaitPhase(rollout, RolloutPhase.Healthy);

        Map<String, String> badConfig = RolloutFixtures.checkoutManifestsInRepo("checkout:1.1");
        badConfig.put("apps/checkout/config.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: [1, 2]\n");
        repo.commit("config map with a list", badConfig);
        await().atMost(WAIT).untilAsserted(() -> assertThat(get(rollout).getStatus().condition(ConditionTypes.SOURCE_READY)
                .orElseThrow().message).contains("config.yaml").contains("not a valid ConfigMap"));

        Map<String, String> noLabels = RolloutFixtures.checkoutManifestsInRepo("checkout:1.1");
        noLabels.put("apps/checkout/deployment.yaml", """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: checkout}
                spec:
                  selector: {matchLabels: {app: checkout}}
                  template:
                    spec: {containers: [{name: app, image: "checkout:1.1"}]}
                """);
        repo.commit("deployment without pod labels", noLabels);
        await().atMost(WAIT).untilAsserted(() -> assertThat(get(rollout).getStatus().condition(ConditionTypes.SOURCE_READY)
                .orElseThrow().message).contains("deployment.yaml").contains("has no pod template labels"));
        assertThat(get(rollout).getStatus().stableRevision).isNotNull();
        assertThat(weightsInVirtualService()).containsExactly(100, 0);
    }

    @Test
    void aBadRevisionIsRejectedWholeAndStableKeepsServing() {
        String v1 = repo.commit("checkout 1.0", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        Rollout rollout = create(r -> { });
        awaitPhase(rollout, RolloutPhase.Healthy);

        Map<String, String> broken = RolloutFixtures.checkoutManifestsInRepo("checkout:2.0");
        broken.put("apps/checkout/extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {a: [\n");
        repo.commit("broken", broken);
        Condition source = awaitCondition(rollout, ConditionTypes.SOURCE_READY, "False");
        assertThat(source.reason).isEqualTo("InvalidManifest");
        assertThat(source.message).startsWith("extra.yaml");

        Map<String, String> unknownKind = RolloutFixtures.checkoutManifestsInRepo("checkout:2.0");
        unknownKind.put("apps/checkout/widget.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n");
        repo.commit("unknown kind", unknownKind);
        await().atMost(WAIT).untilAsserted(() -> assertThat(get(rollout).getStatus().condition(ConditionTypes.SOURCE_READY)
                .orElseThrow().message).contains("widget.yaml").contains("unknown kind example.com/v1/Widget"));

        Map<String, String> otherNamespace = RolloutFixtures.checkoutManifestsInRepo("checkout:2.0");
        otherNamespace.put("apps/checkout/elsewhere.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: kube-system}\n");
        repo.commit("other namespace", otherNamespace);
        await().atMost(WAIT).untilAsserted(() -> assertThat(get(rollout).getStatus().condition(ConditionTypes.SOURCE_READY)
                .orElseThrow().message).contains("elsewhere.yaml").contains("is for namespace kube-system"));

        Map<String, String> noWorkload = RolloutFixtures.checkoutManifestsInRepo("checkout:2.0");
        noWorkload.remove("apps/checkout/deployment.yaml");
        repo.commit("no workload", noWorkload);
        await().atMost(WAIT).untilAsserted(() -> assertThat(get(rollout).getStatus().condition(ConditionTypes.REFERENCES_RESOLVED)
                .orElseThrow().reason).isEqualTo("WorkloadNotFound"));

        edit(rollout, r -> r.getSpec().source.git.secretRef = new io.sluice.api.v1alpha1.LocalObjectReference("missing"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(get(rollout).getStatus().condition(ConditionTypes.SOURCE_READY)
                .orElseThrow().reason).isEqualTo("SecretNotFound"));

        Rollout now = get(rollout);
        assertThat(now.getStatus().phase).isEqualTo(RolloutPhase.Degraded);
        assertThat(now.getStatus().message).contains("stable " + v1.substring(0, 12) + " keeps serving");
        assertThat(now.getStatus().stableRevision).isEqualTo(v1);
        assertThat(image("checkout-stable")).isEqualTo("checkout:1.0");
        assertThat(client.apps().deployments().inNamespace(namespace).withName("checkout-canary").get()).isNull();
        assertThat(client.configMaps().inNamespace(namespace).withName("extra").get()).as("nothing applied").isNull();
        assertThat(eventReasons(rollout)).contains("InvalidManifest", "WorkloadNotFound", "SecretNotFound");
        assertThat(weightsInVirtualService()).containsExactly(100, 0);
    }

    @Test
    void objectsRemovedFromGitArePrunedAndOnlyThose() {
        Map<String, String> files = RolloutFixtures.checkoutManifestsInRepo("checkout:1.0");
        files.put("apps/checkout/settings.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {level: info}\n");
        repo.commit("with settings", files);
        client.configMaps().inNamespace(namespace).resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                .withNewMetadata().withName("hand-made").endMetadata().build()).create();
        Rollout rollout = create(r -> { });
        awaitPhase(rollout, RolloutPhase.Healthy);
        assertThat(client.configMaps().inNamespace(namespace).withName("settings").get().getMetadata().getLabels())
                .containsEntry("app.kubernetes.io/managed-by", "sluice").containsEntry("sluice.io/rollout", "checkout");

        String v2 = repo.commit("settings removed", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(get(rollout).getStatus().stableRevision).isEqualTo(v2));

        assertThat(client.configMaps().inNamespace(namespace).withName("settings").get()).as("pruned").isNull();
        assertThat(client.configMaps().inNamespace(namespace).withName("hand-made").get()).as("not Sluice's").isNotNull();
        assertThat(get(rollout).getStatus().inventory).doesNotContain("v1/ConfigMap/settings");
        assertThat(client.apps().deployments().inNamespace(namespace).withName("checkout-canary").get())
                .as("a config-only commit needs no canary").isNull();
    }

    @Test
    void aCanaryThatNeverBecomesAvailableGetsNoTrafficAndIsAbortedAtTheDeadline() {
        repo.commit("checkout 1.0", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        Rollout rollout = create(r -> r.getSpec().progressDeadlineSeconds = 60);
        awaitPhase(rollout, RolloutPhase.Healthy);
        deployments.hold("checkout-canary");

        repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(get(rollout).getStatus().message).contains("waiting for canary"));
        assertThat(weightsInVirtualService()).containsExactly(100, 0);

        clock.advance(Duration.ofSeconds(61));
        Rollout aborted = awaitPhase(rollout, RolloutPhase.Aborted);
        assertThat(aborted.getStatus().abortedRevision.reason).isEqualTo("ProgressDeadlineExceeded");
        assertThat(canaryWeights).containsOnly(0);
    }

    @Test
    void aNewerCommitSupersedesTheCanaryAndFullPromoteSkipsTheRest() {
        repo.commit("checkout 1.0", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        Rollout rollout = create(r -> { });
        awaitPhase(rollout, RolloutPhase.Healthy);
        repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
        awaitStep(rollout, 1);

        String v3 = repo.commit("checkout 1.2", RolloutFixtures.checkoutManifestsInRepo("checkout:1.2"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(get(rollout).getStatus().canaryRevision).isEqualTo(v3));
        awaitStep(rollout, 1);
        assertThat(image("checkout-canary")).isEqualTo("checkout:1.2");
        assertThat(image("checkout-stable")).isEqualTo("checkout:1.0");
        assertThat(eventReasons(rollout)).contains("CanarySuperseded");

        edit(rollout, r -> r.getSpec().promote = RolloutFixtures.promote("full-1", true));
        Rollout promoted = awaitPhase(rollout, RolloutPhase.Healthy);
        assertThat(promoted.getStatus().stableRevision).isEqualTo(v3);
        assertThat(image("checkout-stable")).isEqualTo("checkout:1.2");
        assertThat(canaryWeights).containsExactly(0, 5, 0, 5, 0);
        assertThat(eventReasons(rollout)).contains("PromotedFull");
    }

    @Test
    void aStableShortOfPodsIsDegradedOnlyWhileItIsShort() {
        String v1 = repo.commit("checkout 1.0", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        Rollout rollout = create(r -> { });
        awaitPhase(rollout, RolloutPhase.Healthy);

        deployments.hold("checkout-stable");
        Rollout degraded = awaitPhase(rollout, RolloutPhase.Degraded);
        assertThat(degraded.getStatus().message).isEqualTo("stable " + v1.substring(0, 12) + " is not fully available (0/1 pods)");
        sleepQuietly(Duration.ofSeconds(2));
        assertThat(get(rollout).getStatus().message).as("the same message on every pass, not one that grows")
                .isEqualTo(degraded.getStatus().message);

        deployments.release("checkout-stable");
        Rollout healthy = awaitPhase(rollout, RolloutPhase.Healthy);
        assertThat(healthy.getStatus().message).isEqualTo("revision " + v1.substring(0, 12) + " is stable and serves all traffic");
    }

    @Test
    void aTemplateDeletedMidRolloutTakesTheCanaryOffTrafficUntilItIsBack() {
        String template = """
                apiVersion: sluice.io/v1alpha1
                kind: AnalysisTemplate
                metadata: {name: later-slo, namespace: %s}
                spec: {metrics: [{name: error-rate, successCondition: result < 0.01, provider: {prometheus: {query: up}}}]}
                """.formatted(namespace);
        client.resource(client.getKubernetesSerialization().unmarshal(template, io.sluice.api.v1alpha1.AnalysisTemplate.class)).create();
        repo.commit("checkout 1.0", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        Rollout rollout = create(r -> {
            CanaryStep analysis = new CanaryStep();
            analysis.analysis = new io.sluice.api.v1alpha1.RolloutAnalysis();
            analysis.analysis.templates = List.of(new io.sluice.api.v1alpha1.AnalysisTemplateRef("later-slo", false));
            List<CanaryStep> steps = new java.util.ArrayList<>(r.getSpec().strategy.canary.steps);
            steps.add(2, analysis);
            r.getSpec().strategy.canary.steps = steps;
        });
        awaitPhase(rollout, RolloutPhase.Healthy);
        String v2 = repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
        awaitStep(rollout, 1);
        assertThat(weightsInVirtualService()).containsExactly(95, 5);

        client.resources(io.sluice.api.v1alpha1.AnalysisTemplate.class).inNamespace(namespace).withName("later-slo").delete();
        await().atMost(WAIT).untilAsserted(() -> assertThat(weightsInVirtualService()).as("canary off traffic")
                .containsExactly(100, 0));
        Rollout held = awaitPhase(rollout, RolloutPhase.Degraded);
        assertThat(held.getStatus().message).contains("later-slo")
                .contains("canary " + v2.substring(0, 12) + " is held at 0%").doesNotContain("keeps 5%");
        assertThat(held.getStatus().canaryWeight).isZero();
        assertThat(held.getStatus().currentStepIndex).as("the step is kept").isEqualTo(1);
        assertThat(eventReasons(rollout)).contains("CanaryHeld");

        client.resource(client.getKubernetesSerialization().unmarshal(template, io.sluice.api.v1alpha1.AnalysisTemplate.class)).create();
        await().atMost(WAIT).untilAsserted(() -> assertThat(weightsInVirtualService()).as("back at the step's weight")
                .containsExactly(95, 5));
        assertThat(awaitPhase(rollout, RolloutPhase.Progressing).getStatus().currentStepIndex).isEqualTo(1);
        assertThat(canaryWeights).containsExactly(0, 5, 0, 5);
        assertThat(eventReasons(rollout)).contains("CanaryResumed");
    }

    @Test
    void pauseHoldsTheRolloutAndReplicasSetOnTheLiveStableSurviveGitSyncs() {
        repo.commit("checkout 1.0", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        Rollout rollout = create(r -> { });
        awaitPhase(rollout, RolloutPhase.Healthy);
        client.apps().deployments().inNamespace(namespace).withName("checkout-stable")
                .edit(d -> { d.getSpec().setReplicas(7); return d; });

        edit(rollout, r -> r.getSpec().paused = true);
        repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
        awaitPhase(rollout, RolloutPhase.Paused);
        sleepQuietly(Duration.ofSeconds(2));
        assertThat(client.apps().deployments().inNamespace(namespace).withName("checkout-canary").get())
                .as("no canary while paused").isNull();

        edit(rollout, r -> r.getSpec().paused = false);
        awaitStep(rollout, 1);
        assertThat(client.apps().deployments().inNamespace(namespace).withName("checkout-canary").get()
                .getSpec().getReplicas()).as("canary sized like the live stable").isEqualTo(7);
        edit(rollout, r -> r.getSpec().promote = RolloutFixtures.promote("full-1", true));
        awaitPhase(rollout, RolloutPhase.Healthy);
        assertThat(client.apps().deployments().inNamespace(namespace).withName("checkout-stable").get()
                .getSpec().getReplicas()).as("the autoscaler's 7, not Git's 1").isEqualTo(7);
    }

    @Test
    void withSubsetsTheDestinationRuleSelectsStableAndCanaryPods() {
        Map<String, String> files = RolloutFixtures.checkoutManifestsInRepo("checkout:1.0");
        files.put("apps/checkout/destinationrule.yaml", """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: checkout}
                spec:
                  host: checkout
                  subsets:
                  - name: stable
                  - name: canary
                """);
        repo.commit("checkout 1.0", files);
        Rollout rollout = create(r -> {
            var dr = new io.sluice.api.v1alpha1.DestinationRuleRef();
            dr.name = "checkout";
            dr.stableSubsetName = "stable";
            dr.canarySubsetName = "canary";
            r.getSpec().strategy.canary.trafficRouting.istio.destinationRule = dr;
        });
        awaitPhase(rollout, RolloutPhase.Healthy);
        Map<String, String> canaryFiles = new HashMap<>(files);
        canaryFiles.putAll(RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
        repo.commit("checkout 1.1", canaryFiles);
        awaitStep(rollout, 1);

        GenericKubernetesResource dr = client.genericKubernetesResources("networking.istio.io/v1", "DestinationRule")
                .inNamespace(namespace).withName("checkout").get();
        assertThat(client.getKubernetesSerialization().asJson(dr.getAdditionalProperties().get("spec")))
                .contains("\"sluice.io/role\":\"stable\"").contains("\"sluice.io/role\":\"canary\"");
        List<Map<String, Object>> route = routeOf(client.genericKubernetesResources("networking.istio.io/v1", "VirtualService")
                .inNamespace(namespace).withName("checkout").get());
        assertThat(route).extracting(d -> ((Map<?, ?>) d.get("destination")).get("subset") + "=" + d.get("weight"))
                .containsExactly("stable=95", "canary=5");
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private static String metricsEndpoint() {
        return io.restassured.RestAssured.get("/q/metrics").then().statusCode(200).extract().asString();
    }

    private Rollout create(Consumer<Rollout> customize) {
        Rollout rollout = RolloutFixtures.checkout(repo.fileUrl());
        rollout.getMetadata().setNamespace(namespace);
        rollout.getMetadata().setGeneration(null);
        rollout.getSpec().source.git.interval = "1s";
        CanaryStep timed = new CanaryStep();
        timed.pause = new Pause();
        timed.pause.duration = "2m";
        CanaryStep indefinite = new CanaryStep();
        indefinite.pause = new Pause();
        rollout.getSpec().strategy.canary.steps = List.of(CanaryStep.weight(5), timed, CanaryStep.weight(50), indefinite);
        customize.accept(rollout);
        return client.resource(rollout).create();
    }

    private void edit(Rollout rollout, Consumer<Rollout> change) {
        RolloutFixtures.editRollout(client, namespace, rollout.getMetadata().getName(), change);
    }

    private Rollout get(Rollout rollout) {
        return client.resources(Rollout.class).inNamespace(namespace).withName(rollout.getMetadata().getName()).get();
    }

    private Rollout awaitPhase(Rollout rollout, RolloutPhase phase) {
        await().atMost(WAIT).untilAsserted(() -> assertThat(get(rollout).getStatus())
                .as(() -> "status: " + client.getKubernetesSerialization().asYaml(get(rollout).getStatus()))
                .isNotNull().extracting(s -> s.phase).isEqualTo(phase));
        return get(rollout);
    }

    private void awaitStep(Rollout rollout, int step) {
        await().atMost(WAIT).untilAsserted(() -> assertThat(get(rollout).getStatus().currentStepIndex)
                .as(() -> "status: " + client.getKubernetesSerialization().asYaml(get(rollout).getStatus()))
                .isEqualTo(step));
    }

    private Condition awaitCondition(Rollout rollout, String type, String status) {
        await().atMost(WAIT).untilAsserted(() -> assertThat(get(rollout).getStatus().condition(type))
                .get().extracting(c -> c.status).isEqualTo(status));
        return get(rollout).getStatus().condition(type).orElseThrow();
    }

    private String image(String deployment) {
        return client.apps().deployments().inNamespace(namespace).withName(deployment).get()
                .getSpec().getTemplate().getSpec().getContainers().getFirst().getImage();
    }

    /** [stable weight, canary weight] on the managed route of the VirtualService. */
    @SuppressWarnings("unchecked")
    private List<Integer> weightsInVirtualService() {
        GenericKubernetesResource vs = client.genericKubernetesResources("networking.istio.io/v1", "VirtualService")
                .inNamespace(namespace).withName("checkout").get();
        List<Map<String, Object>> route = routeOf(vs);
        return List.of(weightOf(route, "checkout-stable"), weightOf(route, "checkout-canary"));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> routeOf(GenericKubernetesResource vs) {
        Map<String, Object> spec = (Map<String, Object>) vs.getAdditionalProperties().get("spec");
        Map<String, Object> http = ((List<Map<String, Object>>) spec.get("http")).getFirst();
        return (List<Map<String, Object>>) http.get("route");
    }

    @SuppressWarnings("unchecked")
    private static int weightOf(List<Map<String, Object>> route, String host) {
        return route.stream().filter(d -> host.equals(((Map<String, Object>) d.get("destination")).get("host")))
                .map(d -> ((Number) d.getOrDefault("weight", 0)).intValue()).findFirst().orElse(-1);
    }

    private static Integer canaryWeight(GenericKubernetesResource vs) {
        int w = weightOf(routeOf(vs), "checkout-canary");
        return w < 0 ? null : w;
    }

    private List<String> eventReasons(Rollout rollout) {
        return client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> rollout.getMetadata().getName().equals(e.getInvolvedObject().getName()))
                .map(e -> e.getReason()).toList();
    }



    private static void sleepQuietly(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
