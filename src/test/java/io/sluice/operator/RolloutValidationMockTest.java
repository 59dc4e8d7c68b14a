package io.sluice.operator;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sluice.api.v1alpha1.AnalysisTemplate;
import io.sluice.api.v1alpha1.Condition;
import io.sluice.api.v1alpha1.LocalObjectReference;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.core.ConditionTypes;
import io.sluice.core.RolloutFixtures;
import io.sluice.testing.git.GitDaemonFixture;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.testing.kube.OperatorOnMockApi;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The operator, running against the mock API, reads a real Git repository and reports what it
 * finds on the Rollout's status, conditions and events. Delivery is not part of this yet.
 */
@QuarkusTest
@QuarkusTestResource(OperatorOnMockApi.class)
class RolloutValidationMockTest {
    private static final AtomicInteger NAMES = new AtomicInteger();

    @Inject
    KubernetesClient client;

    private final List<AutoCloseable> fixtures = new java.util.ArrayList<>();

    @AfterEach
    void closeFixtures() throws Exception {
        for (AutoCloseable f : fixtures.reversed()) {
            f.close();
        }
        // Every test's Rollout deploys the same "checkout" in namespace shop; the next one's Rollout must not find
        // objects of another Rollout there (it would rightly refuse them: ObjectNotOwned). The mock has no garbage
        // collector, so the objects the Rollouts owned go with them here.
        client.resources(Rollout.class).inNamespace("shop").delete();
        client.apps().deployments().inNamespace("shop").withLabel("sluice.io/rollout").delete();
        client.services().inNamespace("shop").withLabel("sluice.io/rollout").delete();
        client.genericKubernetesResources("networking.istio.io/v1", "VirtualService").inNamespace("shop")
                .withLabel("sluice.io/rollout").delete();
    }

    @Test
    void theOperatorIdentifiesItselfSoTheApiServerRecordsSluiceAsFieldManager() {
        assertThat(client.getConfiguration().getUserAgent()).isEqualTo(ClientIdentity.USER_AGENT);
    }

    @Test
    void aValidRolloutIsValidatedAndReportsTheRevision() {
        GitRepoFixture repo = repo();
        String revision = repo.commit("checkout 1.0", inFolder(RolloutFixtures.checkoutManifests()));
        createTemplate("http-slo");

        Rollout rollout = create(repo.fileUrl(), r -> { });

        Rollout seen = awaitCondition(rollout, ConditionTypes.REFERENCES_RESOLVED, "True");
        assertThat(seen.getStatus().source.revision).isEqualTo(revision);
        assertThat(seen.getStatus().observedGeneration).isEqualTo(seen.getMetadata().getGeneration());
        assertThat(seen.getStatus().condition(ConditionTypes.SOURCE_READY)).get()
                .satisfies(c -> assertThat(c.message).contains("3 object(s)"));
        awaitEvent(rollout, "Normal", "Validated");
    }

    @Test
    void aMissingAnalysisTemplateIsReportedAndResolvedOnceCreated() {
        GitRepoFixture repo = repo();
        repo.commit("checkout", inFolder(RolloutFixtures.checkoutManifests()));
        String template = "slo-" + NAMES.incrementAndGet();

        Rollout rollout = create(repo.fileUrl(), r -> r.getSpec().strategy.canary.steps.get(1).analysis.templates.getFirst().name = template);

        Rollout seen = awaitCondition(rollout, ConditionTypes.REFERENCES_RESOLVED, "False");
        assertThat(seen.getStatus().phase).isEqualTo(RolloutPhase.Degraded);
        Condition refs = seen.getStatus().condition(ConditionTypes.REFERENCES_RESOLVED).orElseThrow();
        assertThat(refs.reason).isEqualTo("AnalysisTemplateNotFound");
        assertThat(refs.message).contains(template);
        assertThat(awaitEvent(rollout, "Warning", "AnalysisTemplateNotFound").getMessage()).contains(template);

        createTemplate(template);
        awaitCondition(rollout, ConditionTypes.REFERENCES_RESOLVED, "True");
    }

    @Test
    void anUnreachableGitServerIsReportedWithoutLeakingCredentials() {
        createTemplate("http-slo");
        String secret = "git-creds-" + NAMES.incrementAndGet();
        client.secrets().inNamespace("shop").resource(new SecretBuilder().withNewMetadata().withName(secret).endMetadata()
                .withStringData(Map.of("username", "bot", "password", "hunter2-token")).build()).create();

        Rollout rollout = create("http://127.0.0.1:9/shop/deploy.git", r -> r.getSpec().source.git.secretRef = new LocalObjectReference(secret));

        Rollout seen = awaitCondition(rollout, ConditionTypes.SOURCE_READY, "False");
        Condition source = seen.getStatus().condition(ConditionTypes.SOURCE_READY).orElseThrow();
        assertThat(source.reason).isEqualTo("GitUnreachable");
        assertThat(source.message).contains("127.0.0.1:9").doesNotContain("hunter2");
        assertThat(seen.getStatus().phase).isEqualTo(RolloutPhase.Degraded);
        Event warning = awaitEvent(rollout, "Warning", "GitUnreachable");
        assertThat(warning.getMessage()).doesNotContain("hunter2");
    }

    @Test
    void aGitUrlAtAMetadataAddressIsRefusedBeforeAnyConnection() {
        Rollout rollout = create("http://169.254.169.254/latest/meta-data.git", r -> { });

        Condition source = awaitCondition(rollout, ConditionTypes.SOURCE_READY, "False")
                .getStatus().condition(ConditionTypes.SOURCE_READY).orElseThrow();
        assertThat(source.reason).isEqualTo("HostNotAllowed");
        assertThat(source.message).contains("169.254.169.254", "link-local or metadata address");
    }

    @Test
    void whatAServerThatIsNotGitAnswersNeverReachesTheStatus() throws Exception {
        var server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = "instance-secret-TOKEN-4711\nsecond line\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        fixtures.add(() -> server.stop(0));
        Rollout rollout = create("http://127.0.0.1:" + server.getAddress().getPort() + "/latest/meta-data.git", r -> { });

        Condition source = awaitCondition(rollout, ConditionTypes.SOURCE_READY, "False")
                .getStatus().condition(ConditionTypes.SOURCE_READY).orElseThrow();
        assertThat(source.reason).isEqualTo("GitUnreachable");
        assertThat(source.message).doesNotContain("instance-secret").doesNotContain("TOKEN-4711");
        assertThat(awaitEvent(rollout, "Warning", "GitUnreachable").getMessage()).doesNotContain("TOKEN-4711");
        System.out.println("RolloutValidationMockTest: a non-Git answer is reported as: " + source.message);
    }

    @Test
    void aMissingSecretIsReported() {
        GitRepoFixture repo = repo();
        repo.commit("checkout", inFolder(RolloutFixtures.checkoutManifests()));
        createTemplate("http-slo");

        Rollout rollout = create(repo.fileUrl(), r -> r.getSpec().source.git.secretRef = new LocalObjectReference("nope"));

        Condition source = awaitCondition(rollout, ConditionTypes.SOURCE_READY, "False")
                .getStatus().condition(ConditionTypes.SOURCE_READY).orElseThrow();
        assertThat(source.reason).isEqualTo("SecretNotFound");
        assertThat(source.message).contains("Secret nope");
    }

    @Test
    void aBrokenManifestNamesTheFileAndANewCommitRecovers() {
        GitRepoFixture repo = repo();
        createTemplate("http-slo");
        Map<String, String> files = new HashMap<>(inFolder(RolloutFixtures.checkoutManifests()));
        files.put("apps/checkout/broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [x\n");
        repo.commit("broken", files);

        Rollout rollout = create(repo.fileUrl(), r -> r.getSpec().source.git.interval = "1s");

        Condition source = awaitCondition(rollout, ConditionTypes.SOURCE_READY, "False")
                .getStatus().condition(ConditionTypes.SOURCE_READY).orElseThrow();
        assertThat(source.reason).isEqualTo("InvalidManifest");
        assertThat(source.message).startsWith("broken.yaml").contains("invalid YAML");

        String fixed = repo.commit("fixed", inFolder(RolloutFixtures.checkoutManifests()));
        Rollout seen = awaitCondition(rollout, ConditionTypes.SOURCE_READY, "True");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(get(rollout).getStatus().source.revision).isEqualTo(fixed));
        assertThat(seen.getStatus().phase).as("the fixed revision is deployed as the first stable")
                .isEqualTo(RolloutPhase.Progressing);
        assertThat(seen.getStatus().message).doesNotContain("broken.yaml");
    }

    @Test
    void aMissingWorkloadAndRouteAreReportedFromTheManifestsInGit() {
        GitRepoFixture repo = repo();
        Map<String, String> files = new HashMap<>(inFolder(RolloutFixtures.checkoutManifests()));
        files.remove("apps/checkout/deployment.yaml");
        repo.commit("no deployment", files);
        createTemplate("http-slo");

        Rollout rollout = create(repo.fileUrl(), r -> r.getSpec().strategy.canary.trafficRouting.istio.virtualService.routes = List.of("main"));

        Condition refs = awaitCondition(rollout, ConditionTypes.REFERENCES_RESOLVED, "False")
                .getStatus().condition(ConditionTypes.REFERENCES_RESOLVED).orElseThrow();
        assertThat(refs.reason).isEqualTo("WorkloadNotFound");
        assertThat(refs.message).contains("Deployment checkout is not among the manifests")
                .contains("no HTTP route named main (its named routes: primary)");
    }

    @Test
    void aSourceServedByGitDaemonIsReadOverTheNetwork() {
        GitDaemonFixture daemon = GitDaemonFixture.start();
        fixtures.add(daemon);
        GitRepoFixture repo = GitRepoFixture.createIn(daemon.baseDir(), "deploy", "main");
        fixtures.add(repo);
        String revision = repo.commit("checkout", inFolder(RolloutFixtures.checkoutManifests()));
        createTemplate("http-slo");

        Rollout rollout = create(daemon.url(repo), r -> { });

        assertThat(awaitCondition(rollout, ConditionTypes.SOURCE_READY, "True").getStatus().source.revision)
                .isEqualTo(revision);
    }

    @Test
    void aRolloutThatSlippedPastValidationGetsInvalidSpecNotACrash() {
        // the sandbox refuses this Rollout as an API server does (422); create it as through a lax API server
        Rollout rollout;
        try (KubernetesClient lax = io.sluice.testing.kube.MockKubeApi.laxClient(client)) {
            Rollout invalid = RolloutFixtures.checkout("https://git.example.com/x.git");
            invalid.getMetadata().setName("checkout-" + NAMES.incrementAndGet());
            invalid.getMetadata().setGeneration(null);
            invalid.getSpec().strategy.canary.trafficRouting.istio = null;
            rollout = lax.resource(invalid).create();
        }

        Condition source = awaitCondition(rollout, ConditionTypes.SOURCE_READY, "False")
                .getStatus().condition(ConditionTypes.SOURCE_READY).orElseThrow();
        assertThat(source.reason).isEqualTo("InvalidSpec");
        assertThat(source.message).contains("strategy.canary.trafficRouting.istio.virtualService.name");
    }

    @Test
    void twoTemplatesWithTheSameMetricNameAreAnInvalidSpecNamingBoth() {
        GitRepoFixture repo = repo();
        repo.commit("checkout", inFolder(RolloutFixtures.checkoutManifests()));
        String first = "slo-a-" + NAMES.incrementAndGet();
        String second = "slo-b-" + NAMES.incrementAndGet();
        createTemplate(first);
        createTemplate(second);

        Rollout rollout = create(repo.fileUrl(), r -> r.getSpec().strategy.canary.steps.get(1).analysis.templates =
                List.of(new io.sluice.api.v1alpha1.AnalysisTemplateRef(first, false), new io.sluice.api.v1alpha1.AnalysisTemplateRef(second, false)));

        Condition refs = awaitCondition(rollout, ConditionTypes.REFERENCES_RESOLVED, "False")
                .getStatus().condition(ConditionTypes.REFERENCES_RESOLVED).orElseThrow();
        assertThat(refs.reason).isEqualTo("InvalidSpec");
        assertThat(refs.message).contains("error-rate").contains(first).contains(second);
        assertThat(get(rollout).getStatus().phase).isEqualTo(RolloutPhase.Degraded);
        assertThat(awaitEvent(rollout, "Warning", "InvalidSpec").getMessage()).contains(first).contains(second);
    }

    @Test
    void aPathNamingAFileIsReportedNotACrash() {
        GitRepoFixture repo = repo();
        repo.commit("checkout", inFolder(RolloutFixtures.checkoutManifests()));
        createTemplate("http-slo");

        Rollout rollout = create(repo.fileUrl(), r -> r.getSpec().source.git.path = "apps/checkout/deployment.yaml");

        Condition source = awaitCondition(rollout, ConditionTypes.SOURCE_READY, "False")
                .getStatus().condition(ConditionTypes.SOURCE_READY).orElseThrow();
        assertThat(source.reason).isEqualTo("PathNotFound");
        assertThat(source.message).contains("apps/checkout/deployment.yaml").contains("a file, not a folder");
    }

    private GitRepoFixture repo() {
        GitRepoFixture repo = GitRepoFixture.create();
        fixtures.add(repo);
        return repo;
    }

    private static Map<String, String> inFolder(Map<String, String> files) {
        Map<String, String> out = new HashMap<>();
        files.forEach((k, v) -> out.put(Path.of("apps/checkout").resolve(k).toString(), v));
        return out;
    }

    private void createTemplate(String name) {
        AnalysisTemplate template = client.getKubernetesSerialization().unmarshal("""
                apiVersion: sluice.io/v1alpha1
                kind: AnalysisTemplate
                metadata: {name: %s, namespace: shop}
                spec:
                  metrics:
                  - name: error-rate
                    successCondition: result < 0.01
                    provider: {prometheus: {query: "sum(rate(errors[1m]))"}}
                """.formatted(name), AnalysisTemplate.class);
        client.resource(template).createOr(existing -> existing.update());
    }

    private Rollout create(String url, Consumer<Rollout> customize) {
        Rollout rollout = RolloutFixtures.checkout(url);
        rollout.getMetadata().setName("checkout-" + NAMES.incrementAndGet());
        rollout.getMetadata().setGeneration(null);
        customize.accept(rollout);
        return client.resource(rollout).create();
    }

    private Rollout get(Rollout rollout) {
        return client.resources(Rollout.class).inNamespace("shop").withName(rollout.getMetadata().getName()).get();
    }

    private Rollout awaitCondition(Rollout rollout, String type, String status) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Rollout current = get(rollout);
            assertThat(current.getStatus()).as("status of %s", rollout.getMetadata().getName()).isNotNull();
            assertThat(current.getStatus().condition(type)).as("condition %s of %s: %s", type,
                            rollout.getMetadata().getName(), client.getKubernetesSerialization().asYaml(current.getStatus()))
                    .get().extracting(c -> c.status).isEqualTo(status);
        });
        return get(rollout);
    }

    private Event awaitEvent(Rollout rollout, String type, String reason) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> client.v1().events().inNamespace("shop").list().getItems()
                .stream()
                .filter(e -> rollout.getMetadata().getName().equals(e.getInvolvedObject().getName()))
                .filter(e -> type.equals(e.getType()) && reason.equals(e.getReason()))
                .findFirst().orElse(null), e -> e != null);
    }
}
