package io.sluice.helm;

import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sluice.api.v1alpha1.AnalysisRun;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.Pause;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.core.RolloutFixtures;
import io.sluice.operator.ClientIdentity;
import io.sluice.sandbox.SandboxApiServer;
import io.sluice.sandbox.SandboxDeploymentController;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.testing.kube.MockKubeApi;
import io.sluice.testing.kube.OperatorOnMockApi;
import io.sluice.testing.time.MutableClock;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The chart's RBAC is enough for what the operator really does: every request the operator sends to
 * the (mock) API server while it runs releases (validate, deploy, canary, analysis, promotion, pruning)
 * is recorded, turned into the RBAC verb and resource the API server would authorize, and must be
 * granted by the roles the chart renders by default (cluster-wide; {@link RbacCoverageNamespacedMockTest}
 * does the same for watched namespaces).
 */
@QuarkusTest
@QuarkusTestResource(value = RbacCoverageMockTest.RecordedApi.class, restrictToAnnotatedClass = true)
class RbacCoverageMockTest {
    private static final Duration WAIT = Duration.ofSeconds(40);

    /** The mock API of {@code OperatorOnMockApi}, kept reachable so the test can read its request log. */
    public static class RecordedApi extends OperatorOnMockApi {
        static volatile MockKubeApi api;

        /**
         * After OperatorOnMockApi, which other test classes register for every @QuarkusTest: the
         * operator must be pointed at this server, the one whose requests are read.
         */
        @Override
        public int order() {
            return 100;
        }

        @Override
        public Map<String, String> start() {
            Map<String, String> config = super.start();
            api = mockApi();
            return config;
        }
    }

    /** What the API server authorizes for one request. */
    record Access(String verb, String group, String resource, String namespace) {
        @Override
        public String toString() {
            return verb + " " + group + "/" + resource;
        }
    }

    @Inject
    MutableClock clock;

    @Test
    void everyRequestTheOperatorMakesIsGrantedByTheChartsRoles() throws Exception {
        assertEveryRequestGranted(clock, "");
    }

    /**
     * Runs the releases in namespaces rbac-a and rbac-b, then checks each request of the operator
     * against the roles the chart renders with {@code values}: a request in a namespace may be granted
     * by a Role there or by a ClusterRole, a request outside any namespace only by a ClusterRole.
     */
    static void assertEveryRequestGranted(MutableClock clock, String values) throws Exception {
        // The test acts as a person would, with a client the operator's requests can be told from.
        try (KubernetesClient person = new KubernetesClientBuilder().withConfig(new ConfigBuilder(
                RecordedApi.api.server().clientConfig()).withUserAgent("rbac-test").build()).build()) {
            promotionAndPruning(person, "rbac-a");
            analysisAndAbort(person, clock, "rbac-b");
        }

        List<Access> operatorAccess = operatorRequests().stream().map(RbacCoverageMockTest::access)
                .flatMap(Optional::stream).toList();
        RenderedChart chart = RenderedChart.render(values);
        List<PolicyRule> clusterRules = new ArrayList<>();
        chart.all(ClusterRole.class).forEach(r -> clusterRules.addAll(r.getRules()));
        Map<String, Set<String>> clusterGrants = RenderedChart.grants(clusterRules);

        Set<String> exercised = new TreeSet<>();
        Set<String> denied = new TreeSet<>();
        for (Access a : operatorAccess) {
            exercised.add(a.toString());
            String key = a.group() + "/" + a.resource();
            boolean granted = clusterGrants.getOrDefault(key, Set.of()).contains(a.verb());
            if (!granted && a.namespace() != null) {
                List<PolicyRule> roleRules = new ArrayList<>();
                chart.all(Role.class, r -> a.namespace().equals(r.getMetadata().getNamespace()))
                        .forEach(r -> roleRules.addAll(r.getRules()));
                granted = RenderedChart.grants(roleRules).getOrDefault(key, Set.of()).contains(a.verb());
            }
            if (!granted) {
                denied.add(a + (a.namespace() == null ? " (cluster-wide)" : " in " + a.namespace()));
            }
        }
        assertThat(denied).as("requests of the operator the chart's RBAC would refuse (exercised: %s)", exercised)
                .isEmpty();
        // The scenario reached the operator's write paths, so the check above means something.
        assertThat(exercised).contains(
                "list sluice.io/rollouts", "watch sluice.io/rollouts",
                "update sluice.io/rollouts/status", "create sluice.io/analysisruns", "update sluice.io/analysisruns/status",
                "get sluice.io/analysistemplates", "create apps/deployments", "update apps/deployments",
                "create /services", "update networking.istio.io/virtualservices", "list networking.istio.io/virtualservices",
                "watch networking.istio.io/virtualservices", "create /configmaps",
                "delete /configmaps", "create /events");
    }

    /** A first release, then a canary that is promoted in full and drops an object Git no longer has. */
    private static void promotionAndPruning(KubernetesClient person, String namespace) {
        try (GitRepoFixture repo = GitRepoFixture.create();
             SandboxDeploymentController deployments = new SandboxDeploymentController(person, namespace)) {
            Map<String, String> v1 = new HashMap<>(RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
            v1.put("apps/checkout/config.yaml", """
                    apiVersion: v1
                    kind: ConfigMap
                    metadata: {name: checkout-config}
                    data: {greeting: hello}
                    """);
            repo.commit("checkout 1.0", v1);
            CanaryStep hold = new CanaryStep();
            hold.pause = new Pause();
            create(person, namespace, repo, List.of(CanaryStep.weight(10), hold));
            await().atMost(WAIT).until(() -> phase(person, namespace) == RolloutPhase.Healthy);

            String second = repo.commitChanges("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"),
                    List.of("apps/checkout/config.yaml"));
            await().atMost(WAIT).until(() -> phase(person, namespace) == RolloutPhase.Paused);
            RolloutFixtures.editRollout(person, namespace, "checkout",
                    r -> r.getSpec().promote = RolloutFixtures.promote("full-1", true));
            await().atMost(WAIT).until(() -> second.equals(rollout(person, namespace).getStatus().stableRevision)
                    && phase(person, namespace) == RolloutPhase.Healthy);
            await().atMost(WAIT).until(() -> person.configMaps().inNamespace(namespace).withName("checkout-config").get() == null);
        }
    }

    /** A canary with a step analysis; no Prometheus is configured, so it fails and the canary is aborted. */
    private static void analysisAndAbort(KubernetesClient person, MutableClock clock, String namespace) {
        try (GitRepoFixture repo = GitRepoFixture.create();
             SandboxDeploymentController deployments = new SandboxDeploymentController(person, namespace)) {
            RolloutFixtures.createAnalysisTemplate(person, namespace);
            repo.commit("checkout 1.0", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
            CanaryStep analysis = RolloutFixtures.checkout(repo.fileUrl()).getSpec().strategy.canary.steps.get(1);
            create(person, namespace, repo, List.of(CanaryStep.weight(10), analysis, CanaryStep.weight(50)));
            await().atMost(WAIT).until(() -> phase(person, namespace) == RolloutPhase.Healthy);

            repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
            await().atMost(WAIT).until(() -> !person.resources(AnalysisRun.class).inNamespace(namespace).list()
                    .getItems().isEmpty());
            await().atMost(WAIT).until(() -> {
                clock.advance(Duration.ofMinutes(1));
                return phase(person, namespace) != RolloutPhase.Progressing;
            });
        }
    }

    private static void create(KubernetesClient person, String namespace, GitRepoFixture repo, List<CanaryStep> steps) {
        Rollout rollout = RolloutFixtures.checkout(repo.fileUrl());
        rollout.getMetadata().setNamespace(namespace);
        rollout.getMetadata().setGeneration(null);
        rollout.getSpec().source.git.interval = "1s";
        rollout.getSpec().strategy.canary.steps = steps;
        person.resource(rollout).create();
    }

    private static Rollout rollout(KubernetesClient client, String namespace) {
        return client.resources(Rollout.class).inNamespace(namespace).withName("checkout").get();
    }

    private static RolloutPhase phase(KubernetesClient client, String namespace) {
        Rollout r = client.resources(Rollout.class).inNamespace(namespace).withName("checkout").get();
        return r == null || r.getStatus() == null ? null : r.getStatus().phase;
    }

    /** Every request the mock API received from the operator's client (identified by its User-Agent). */
    private static List<RecordedRequest> operatorRequests() throws Exception {
        Field field = SandboxApiServer.class.getDeclaredField("server"); // the sandbox does not expose its log
        field.setAccessible(true);
        KubernetesMockServer server = (KubernetesMockServer) field.get(RecordedApi.api.server());
        List<RecordedRequest> out = new ArrayList<>();
        for (RecordedRequest r; (r = server.takeRequest(100, TimeUnit.MILLISECONDS)) != null; ) {
            String agent = r.getHeader("User-Agent");
            if (agent != null && agent.startsWith(ClientIdentity.USER_AGENT)) {
                out.add(r);
            }
        }
        assertThat(out).as("requests from the operator").isNotEmpty();
        return out;
    }

    /**
     * The verb and resource of a request as the API server's authorizer sees them; empty for paths
     * every authenticated user may use (discovery, version, self-reviews).
     */
    static Optional<Access> access(RecordedRequest request) {
        String full = request.getPath();
        int q = full.indexOf('?');
        String path = q < 0 ? full : full.substring(0, q);
        String query = q < 0 ? "" : full.substring(q + 1);
        List<String> parts = new ArrayList<>(List.of(path.replaceAll("^/+", "").split("/")));
        String group;
        if (parts.size() >= 2 && parts.get(0).equals("api")) {
            group = "";
            parts = parts.subList(2, parts.size());
        } else if (parts.size() >= 3 && parts.get(0).equals("apis")) {
            group = parts.get(1);
            parts = parts.subList(3, parts.size());
        } else {
            return Optional.empty();
        }
        if (parts.isEmpty() || group.equals("authorization.k8s.io") || group.equals("authentication.k8s.io")) {
            return Optional.empty();
        }
        String namespace = null;
        if (parts.get(0).equals("namespaces") && parts.size() >= 3) {
            namespace = parts.get(1);
            parts = parts.subList(2, parts.size()); // namespaced: namespaces/<ns>/<resource>/...
        }
        String resource = parts.get(0);
        String name = parts.size() > 1 ? parts.get(1) : null;
        if (parts.size() > 2) {
            resource = resource + "/" + parts.get(2);
        }
        boolean watch = Stream.of(query.split("&")).anyMatch(p -> p.equals("watch=true") || p.equals("watch=1"));
        String verb = switch (request.getMethod().toUpperCase()) {
            case "GET" -> watch ? "watch" : name != null ? "get" : "list";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> name != null ? "delete" : "deletecollection";
            default -> request.getMethod().toLowerCase();
        };
        return Optional.of(new Access(verb, group, resource, namespace));
    }

}
