package io.sluice.operator;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.Pause;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.core.ConditionTypes;
import io.sluice.core.RolloutFixtures;
import io.sluice.sandbox.SandboxDeploymentController;
import io.sluice.testing.git.GitRepoFixture;
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
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What a revision is and what it may touch (issue 11, points 1 to 3), against the mock API with a
 * real Git repository: a config change is a release with its own copy of the config; a canary's
 * other objects wait for its promotion, so an abort leaves stable's exactly as they were; a commit
 * that deploys the same content is the same revision; objects Sluice does not own are neither
 * overwritten nor pruned.
 */
@QuarkusTest
@QuarkusTestResource(OperatorOnMockApi.class)
class RevisionSafetyMockTest {
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String MOUNTING_DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: checkout}
            spec:
              selector: {matchLabels: {app: checkout}}
              template:
                metadata: {labels: {app: checkout}}
                spec:
                  containers:
                  - name: app
                    image: "checkout:1.0"
                    envFrom: [{configMapRef: {name: checkout-config}}]
                    volumeMounts: [{name: config, mountPath: /etc/checkout}]
                  volumes: [{name: config, configMap: {name: checkout-config}}]
            """;

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
        namespace = "rev-" + NAMES.incrementAndGet();
        repo = GitRepoFixture.create();
        deployments = new SandboxDeploymentController(client, namespace);
        RolloutFixtures.createAnalysisTemplate(client, namespace);
        vsWatch = client.genericKubernetesResources("networking.istio.io/v1", "VirtualService").inNamespace(namespace)
                .watch(new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, GenericKubernetesResource vs) {
                        int w = weightOf(vs, "checkout-canary");
                        if (w >= 0 && (canaryWeights.isEmpty() || !canaryWeights.getLast().equals(w))) {
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

    // ---- point 1: a config change is a release; a canary changes nothing stable serves -------------------

    @Test
    void aConfigChangeThePodsUseRunsAsACanaryWithItsOwnCopyAndAnAbortRemovesIt() {
        repo.commit("v1", mountingConfig("greeting: hello"));
        Rollout rollout = create();
        awaitPhase(rollout, RolloutPhase.Healthy);
        Set<String> stableV1 = configNames("checkout-stable");
        assertThat(stableV1).as("stable reads a copy named after its content").hasSize(1)
                .allMatch(n -> n.matches("checkout-config-[0-9a-f]{10}"));
        assertThat(configData(stableV1.iterator().next())).containsEntry("greeting", "hello");

        repo.commit("only the config changes", mountingConfig("greeting: broken"));
        awaitStep(rollout, 1);
        Set<String> canary = configNames("checkout-canary");
        assertThat(canary).as("the canary reads its own copy").hasSize(1).doesNotContainAnyElementsOf(stableV1);
        assertThat(configData(canary.iterator().next())).containsEntry("greeting", "broken");
        assertThat(configNames("checkout-stable")).as("stable's pods keep the old copy").isEqualTo(stableV1);
        assertThat(configData(stableV1.iterator().next())).containsEntry("greeting", "hello");
        assertThat(configData("checkout-config")).as("the ConfigMap under its own name follows stable")
                .containsEntry("greeting", "hello");
        assertThat(weights()).containsExactly(95, 5);

        edit(rollout, r -> r.getSpec().abort = RolloutFixtures.request("a1"));
        awaitPhase(rollout, RolloutPhase.Aborted);
        clock.advance(Duration.ofMinutes(1)); // past abortScaleDownDelaySeconds
        await().atMost(WAIT).untilAsserted(() -> assertThat(client.configMaps().inNamespace(namespace)
                .withName(canary.iterator().next()).get()).as("the canary's copy goes with it").isNull());
        assertThat(configData(stableV1.iterator().next())).as("stable's copy stays").containsEntry("greeting", "hello");
        assertThat(configData("checkout-config")).containsEntry("greeting", "hello");
        assertThat(weights()).containsExactly(100, 0);
    }

    @Test
    void aConfigChangeThatPassesEndsWithStableOnTheNewCopyAndTheOldOnePruned() {
        repo.commit("v1", mountingConfig("greeting: hello"));
        Rollout rollout = create();
        awaitPhase(rollout, RolloutPhase.Healthy);
        String oldCopy = configNames("checkout-stable").iterator().next();

        String v2 = repo.commit("only the config changes", mountingConfig("greeting: bonjour"));
        awaitStep(rollout, 1);
        String newCopy = configNames("checkout-canary").iterator().next();
        edit(rollout, r -> r.getSpec().promote = RolloutFixtures.promote("all", true));
        Rollout promoted = awaitPhase(rollout, RolloutPhase.Healthy);

        assertThat(promoted.getStatus().stableRevision).isEqualTo(v2);
        assertThat(configNames("checkout-stable")).containsExactly(newCopy);
        assertThat(configData(newCopy)).containsEntry("greeting", "bonjour");
        assertThat(configData("checkout-config")).containsEntry("greeting", "bonjour");
        await().atMost(WAIT).untilAsserted(() -> assertThat(client.configMaps().inNamespace(namespace).withName(oldCopy).get())
                .as("the old copy is pruned once no pods use it").isNull());
    }

    @Test
    void aConfigMapNoPodUsesIsAppliedWithoutACanary() {
        Map<String, String> v1 = mountingConfig("greeting: hello");
        v1.put("apps/checkout/other.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dashboards}\ndata: {a: '1'}\n");
        repo.commit("v1", v1);
        Rollout rollout = create();
        awaitPhase(rollout, RolloutPhase.Healthy);

        Map<String, String> v2 = new HashMap<>(v1);
        v2.put("apps/checkout/other.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dashboards}\ndata: {a: '2'}\n");
        String commit = repo.commit("a ConfigMap no pod uses", v2);
        await().atMost(WAIT).untilAsserted(() -> assertThat(configData("dashboards")).containsEntry("a", "2"));
        Rollout after = awaitPhase(rollout, RolloutPhase.Healthy);
        assertThat(after.getStatus().stableRevision).isEqualTo(commit);
        assertThat(after.getStatus().canaryRevision).isNull();
        assertThat(eventReasons(rollout)).contains("Applied").doesNotContain("CanaryStarted");
    }

    @Test
    void aCanarysOtherObjectsWaitForPromotionSoAnAbortLeavesStablesExactlyAsTheyWere() {
        Map<String, String> v1 = RolloutFixtures.checkoutManifestsInRepo("checkout:1.0");
        v1.put("apps/checkout/other.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits}\ndata: {max: '100'}\n");
        repo.commit("v1", v1);
        Rollout rollout = create();
        awaitPhase(rollout, RolloutPhase.Healthy);
        Object vsSpecBefore = virtualService().getAdditionalProperties().get("spec");

        Map<String, String> bad = RolloutFixtures.checkoutManifestsInRepo("checkout:1.1");
        bad.put("apps/checkout/network.yaml", bad.get("apps/checkout/network.yaml")
                .replace("    route: [{destination: {host: checkout}}]", "    timeout: 1ms\n    route: [{destination: {host: checkout}}]"));
        bad.put("apps/checkout/other.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits}\ndata: {max: '0'}\n");
        repo.commit("a bad release: image, a 1 ms route timeout, a bad limit", bad);
        awaitStep(rollout, 1);
        assertThat(configData("limits")).as("stable's traffic sees stable's ConfigMap").containsEntry("max", "100");
        assertThat(http(virtualService())).as("and no new route timeout").doesNotContainKey("timeout");

        edit(rollout, r -> r.getSpec().abort = RolloutFixtures.request("a1"));
        awaitPhase(rollout, RolloutPhase.Aborted);
        assertThat(configData("limits")).containsEntry("max", "100");
        GenericKubernetesResource vs = virtualService();
        assertThat(http(vs)).doesNotContainKey("timeout");
        assertThat(weights()).containsExactly(100, 0);
        @SuppressWarnings("unchecked")
        Map<String, Object> specNow = (Map<String, Object>) vs.getAdditionalProperties().get("spec");
        assertThat(specNow).as("the VirtualService is stable's, weights included").isEqualTo(vsSpecBefore);
    }

    // ---- point 2: a revision is what the path deploys -----------------------------------------------------

    @Test
    void aCommitOutsideThePathDoesNotRerunAnAbortedCanary() {
        Map<String, String> v1 = RolloutFixtures.checkoutManifestsInRepo("checkout:1.0");
        repo.commit("v1", v1);
        Rollout rollout = create();
        awaitPhase(rollout, RolloutPhase.Healthy);
        Map<String, String> v2 = RolloutFixtures.checkoutManifestsInRepo("checkout:1.1");
        String aborted = repo.commit("v2", v2);
        awaitStep(rollout, 1);
        edit(rollout, r -> r.getSpec().abort = RolloutFixtures.request("a1"));
        awaitPhase(rollout, RolloutPhase.Aborted);
        int weightsSeen = canaryWeights.size();

        Map<String, String> readme = new HashMap<>(v2);
        readme.put("README.md", "# unrelated\n");
        String readmeCommit = repo.commit("README only", readme);
        await().atMost(WAIT).until(() -> readmeCommit.equals(get(rollout).getStatus().source.revision));
        sleepQuietly(Duration.ofSeconds(2)); // several reconciles
        Rollout after = get(rollout);
        assertThat(after.getStatus().phase).isEqualTo(RolloutPhase.Aborted);
        assertThat(after.getStatus().abortedRevision.revision).isEqualTo(aborted);
        assertThat(canaryWeights.subList(weightsSeen, canaryWeights.size())).as("no traffic to the aborted pods again")
                .allMatch(w -> w == 0);
        assertThat(eventReasons(rollout).stream().filter("CanaryStarted"::equals).count()).isEqualTo(1);
    }

    @Test
    void aCommitOutsideThePathDoesNotRestartACanaryInFlight() {
        repo.commit("v1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        Rollout rollout = create();
        awaitPhase(rollout, RolloutPhase.Healthy);
        Map<String, String> v2 = RolloutFixtures.checkoutManifestsInRepo("checkout:1.1");
        String canary = repo.commit("v2", v2);
        awaitStep(rollout, 1);
        toFiftyPercent(rollout);

        Map<String, String> readme = new HashMap<>(v2);
        readme.put("README.md", "# unrelated\n");
        String readmeCommit = repo.commit("README only", readme);
        await().atMost(WAIT).until(() -> readmeCommit.equals(get(rollout).getStatus().source.revision));
        sleepQuietly(Duration.ofSeconds(2));
        Rollout after = get(rollout);
        assertThat(after.getStatus().canaryRevision).isEqualTo(canary);
        assertThat(after.getStatus().currentStepIndex).as("not restarted from the first step").isEqualTo(3);
        assertThat(canaryWeights).containsExactly(0, 5, 50);
        assertThat(eventReasons(rollout)).doesNotContain("CanarySuperseded");
    }

    @Test
    void aChangeToAnotherRouteDoesNotRestartTheCanaryAndGoesLiveAtPromotion() {
        repo.commit("v1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        Rollout rollout = create();
        awaitPhase(rollout, RolloutPhase.Healthy);
        Map<String, String> v2 = RolloutFixtures.checkoutManifestsInRepo("checkout:1.1");
        repo.commit("v2", v2);
        awaitStep(rollout, 1);
        toFiftyPercent(rollout);

        Map<String, String> route = new HashMap<>(v2);
        route.put("apps/checkout/network.yaml", v2.get("apps/checkout/network.yaml")
                + "  - name: admin\n    match: [{uri: {prefix: /admin}}]\n    route: [{destination: {host: admin}}]\n");
        String routeCommit = repo.commit("an unrelated route", route);
        await().atMost(WAIT).until(() -> routeCommit.equals(get(rollout).getStatus().heldRevision));
        sleepQuietly(Duration.ofSeconds(2));
        assertThat(get(rollout).getStatus().currentStepIndex).isEqualTo(3);
        assertThat(canaryWeights).as("30 -> 0 -> 10 is what a restart looks like").containsExactly(0, 5, 50);
        assertThat(routeNames(virtualService())).as("held until promotion").containsExactly("primary");
        assertThat(eventReasons(rollout)).contains("RevisionHeld");

        edit(rollout, r -> r.getSpec().promote = RolloutFixtures.promote("all", true));
        Rollout promoted = awaitPhase(rollout, RolloutPhase.Healthy);
        assertThat(promoted.getStatus().stableRevision).isEqualTo(routeCommit);
        assertThat(routeNames(virtualService())).containsExactly("primary", "admin");
        assertThat(image("checkout-stable")).isEqualTo("checkout:1.1");
    }

    // ---- point 3: objects Sluice does not own ---------------------------------------------------------------

    @Test
    void anObjectSluiceDoesNotOwnIsNeitherOverwrittenNorPrunedUnlessHandedOver() {
        client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder().withNewMetadata()
                .withName("payments-config").withLabels(Map.of("team", "payments")).endMetadata()
                .withData(Map.of("owner", "payments")).build()).create();
        Map<String, String> v1 = RolloutFixtures.checkoutManifestsInRepo("checkout:1.0");
        v1.put("apps/checkout/clash.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: payments-config}\n"
                + "data: {owner: checkout}\n");
        repo.commit("v1 with a name another team uses", v1);
        Rollout rollout = create();

        await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> assertThat(get(rollout).getStatus()
                .condition(ConditionTypes.OBJECTS_OWNED)).get().satisfies(c -> {
                    assertThat(c.status).isEqualTo("False");
                    assertThat(c.reason).isEqualTo("ObjectNotOwned");
                    assertThat(c.message).contains("ConfigMap payments-config exists and Sluice did not create it")
                            .contains("sluice.io/adopt=" + rollout.getMetadata().getName());
                }));
        assertThat(eventReasons(rollout)).contains("ObjectNotOwned");
        ConfigMap theirs = client.configMaps().inNamespace(namespace).withName("payments-config").get();
        assertThat(theirs.getData()).containsEntry("owner", "payments");
        assertThat(theirs.getMetadata().getLabels()).containsEntry("team", "payments").doesNotContainKey("sluice.io/rollout");
        assertThat(client.services().inNamespace(namespace).withName("checkout-stable").get())
                .as("nothing of that revision is applied").isNull();

        // the owner hands it over, explicitly, on the live object
        client.configMaps().inNamespace(namespace).withName("payments-config")
                .edit(cm -> new ConfigMapBuilder(cm).editMetadata().addToAnnotations("sluice.io/adopt", "checkout")
                        .endMetadata().build());
        awaitPhase(rollout, RolloutPhase.Healthy);
        assertThat(configData("payments-config")).containsEntry("owner", "checkout");
        assertThat(get(rollout).getStatus().condition(ConditionTypes.OBJECTS_OWNED)).get()
                .extracting(c -> c.status).isEqualTo("True");
    }

    @Test
    void anObjectOfAnotherRolloutIsNotPrunedWhenItLeavesGit() {
        Map<String, String> v1 = RolloutFixtures.checkoutManifestsInRepo("checkout:1.0");
        v1.put("apps/checkout/extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\ndata: {v: '1'}\n");
        repo.commit("v1", v1);
        Rollout rollout = create();
        awaitPhase(rollout, RolloutPhase.Healthy);
        // another Rollout takes the object over meanwhile (as its own)
        client.configMaps().inNamespace(namespace).withName("shared").edit(cm -> new ConfigMapBuilder(cm).editMetadata()
                .addToLabels("sluice.io/rollout", "payments").endMetadata().build());

        repo.commit("v2 without it", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        await().atMost(WAIT).until(() -> !get(rollout).getStatus().inventory.stream().anyMatch(i -> i.endsWith("/shared")));
        assertThat(client.configMaps().inNamespace(namespace).withName("shared").get()).as("not this Rollout's to delete")
                .isNotNull();
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    /** Past the 2m pause of step 2, on to step 4 (50%, waiting for promotion). */
    private void toFiftyPercent(Rollout rollout) {
        await().atMost(WAIT).until(() -> get(rollout).getStatus().pauseStartTime != null);
        clock.advance(Duration.ofMinutes(3));
        awaitStep(rollout, 3);
    }

    /** The checkout app whose pods read ConfigMap checkout-config (a volume and envFrom), with the given data. */
    private static Map<String, String> mountingConfig(String data) {
        Map<String, String> files = RolloutFixtures.checkoutManifestsInRepo("checkout:1.0");
        files.put("apps/checkout/deployment.yaml", MOUNTING_DEPLOYMENT);
        files.put("apps/checkout/config.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: checkout-config}\ndata: {"
                + data + "}\n");
        return files;
    }

    private Rollout create() {
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
        return client.resource(rollout).create();
    }

    /** The ConfigMaps a Deployment's pod template names (volumes and envFrom). */
    private Set<String> configNames(String deployment) {
        Deployment d = client.apps().deployments().inNamespace(namespace).withName(deployment).get();
        var pod = d.getSpec().getTemplate().getSpec();
        Set<String> names = pod.getVolumes().stream().filter(v -> v.getConfigMap() != null)
                .map(v -> v.getConfigMap().getName()).collect(Collectors.toSet());
        pod.getContainers().forEach(c -> c.getEnvFrom().forEach(e -> names.add(e.getConfigMapRef().getName())));
        return names;
    }

    private Map<String, String> configData(String name) {
        ConfigMap cm = client.configMaps().inNamespace(namespace).withName(name).get();
        assertThat(cm).as("ConfigMap " + name).isNotNull();
        return cm.getData();
    }

    private void edit(Rollout rollout, java.util.function.Consumer<Rollout> change) {
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

    private String image(String deployment) {
        return client.apps().deployments().inNamespace(namespace).withName(deployment).get()
                .getSpec().getTemplate().getSpec().getContainers().getFirst().getImage();
    }

    private GenericKubernetesResource virtualService() {
        return client.genericKubernetesResources("networking.istio.io/v1", "VirtualService").inNamespace(namespace)
                .withName("checkout").get();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> httpRoutes(GenericKubernetesResource vs) {
        return (List<Map<String, Object>>) ((Map<String, Object>) vs.getAdditionalProperties().get("spec")).get("http");
    }

    /** The managed (first) HTTP route. */
    private static Map<String, Object> http(GenericKubernetesResource vs) {
        return httpRoutes(vs).getFirst();
    }

    private static List<Object> routeNames(GenericKubernetesResource vs) {
        return httpRoutes(vs).stream().map(r -> r.get("name")).toList();
    }

    private List<Integer> weights() {
        GenericKubernetesResource vs = virtualService();
        return List.of(weightOf(vs, "checkout-stable"), weightOf(vs, "checkout-canary"));
    }

    @SuppressWarnings("unchecked")
    private static int weightOf(GenericKubernetesResource vs, String host) {
        List<Map<String, Object>> route = (List<Map<String, Object>>) http(vs).get("route");
        return route.stream().filter(d -> host.equals(((Map<String, Object>) d.get("destination")).get("host")))
                .map(d -> ((Number) d.getOrDefault("weight", 0)).intValue()).findFirst().orElse(-1);
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
