package io.sluice.operator;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.Pause;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.api.v1alpha1.RolloutStatus;
import io.sluice.core.RolloutFixtures;
import io.sluice.demo.process.ExternalProcess;
import io.sluice.sandbox.SandboxDeploymentController;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.testing.kube.MockKubeApi;
import io.sluice.workload.Labels;
import io.sluice.workload.WorkloadModel;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The acceptance test of lenient reads (issue 22.1), on the packaged operator ({@code target/quarkus-app})
 * run as its own process against the mock API: one malformed Rollout ("typo", with a field no Sluice knows)
 * among healthy ones must not blind the operator. The healthy Rollout "a" keeps reacting to steering: paused,
 * it records a new commit but starts no canary; resumed, it delivers the commit. {@code kubectl sluice list -A}
 * lists every Rollout and names the ignored field. Before the fix the typo failed the Rollout watch ("will
 * stop"), and the operator went on from a stale cache: a canary started although "a" was paused.
 */
class UnknownFieldsPackagedIT {
    private static final String NAMESPACE = "shop";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String TYPO_FIELD = "spec.strategy.canary.steps[0].intervall";
    private static final Path PROJECT = Path.of(System.getProperty("sluice.project.dir", System.getProperty("user.dir")));

    private MockKubeApi api;
    private KubernetesClient client;
    private GitRepoFixture repo;
    private SandboxDeploymentController deployments;
    private Path workDir;
    private Process operator;
    private Path operatorLog;

    @BeforeEach
    void setUp() throws IOException {
        api = MockKubeApi.start();
        client = api.client();
        repo = GitRepoFixture.create();
        deployments = new SandboxDeploymentController(client, NAMESPACE);
        workDir = Files.createTempDirectory("sluice-unknown-fields-");
    }

    @AfterEach
    void tearDown() throws IOException {
        if (operator != null) {
            operator.destroyForcibly();
            try {
                operator.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // Kept for a look after the run: target/unknown-fields-it/operator.log
            Path logs = Files.createDirectories(PROJECT.resolve("target").resolve("unknown-fields-it"));
            Files.writeString(logs.resolve("operator.log"), log());
        }
        deployments.close();
        repo.close();
        api.close();
        try (var files = Files.walk(workDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void aMalformedRolloutDoesNotStopTheHealthyOnesFromBeingSteeredOrListed() throws Exception {
        startOperator();
        String v1 = repo.commit("v1", manifests("1.0"));
        client.resource(rollout("a")).create();
        client.resource(rollout("b")).create();
        waitFor().untilAsserted(() -> {
            assertThat(status("a")).extracting(s -> s.phase, s -> s.stableRevision).containsExactly(RolloutPhase.Healthy, v1);
            // b's content did not change: it records the new commit without a canary, still running b:1.0.
        assertThat(status("b")).extracting(s -> s.phase, s -> s.canaryRevision).containsExactly(RolloutPhase.Healthy, null);
        assertThat(client.apps().deployments().inNamespace(NAMESPACE).withName(WorkloadModel.deploymentName("b", Labels.STABLE))
                .get().getSpec().getTemplate().getSpec().getContainers().getFirst().getImage()).isEqualTo("b:1.0");
        });

        // The malformed Rollout arrives on the same watch as the others, just before "a" is paused.
        String json = client.getKubernetesSerialization().asJson(rollout("typo"))
                .replace("\"steps\":[", "\"steps\":[{\"intervall\":\"5s\",\"pause\":{\"duration\":\"1s\"}},");
        assertThat(json).contains("intervall");
        client.resource(client.getKubernetesSerialization().unmarshal(json, GenericKubernetesResource.class)).create();
        RolloutFixtures.editRollout(client, NAMESPACE, "a", r -> r.getSpec().paused = true);

        // A new commit for "a" while it is paused: recorded, not started.
        Map<String, String> v2Files = manifests("1.0");
        v2Files.putAll(manifestsOf("a", "1.1"));
        String v2 = repo.commit("a 1.1", v2Files);
        waitFor().until(() -> v2.equals(sourceRevision("a")) || canaryStarted("a"));
        assertNoCanaryWhilePaused(v2);
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertNoCanaryWhilePaused(v2));

        // Resumed: the commit is delivered through its canary steps.
        RolloutFixtures.editRollout(client, NAMESPACE, "a", r -> r.getSpec().paused = false);
        waitFor().untilAsserted(() -> assertThat(status("a")).as("a after resume")
                .satisfies(s -> assertThat(s.canaryRevision).isEqualTo(v2))
                .satisfies(s -> assertThat(s.canaryWeight).isPositive()));
        waitFor().untilAsserted(() -> assertThat(status("a")).extracting(s -> s.phase, s -> s.stableRevision, s -> s.canaryRevision)
                .as("a delivered v2").containsExactly(RolloutPhase.Healthy, v2, null));
        // b's content did not change: it records the new commit without a canary, still running b:1.0.
        assertThat(status("b")).extracting(s -> s.phase, s -> s.canaryRevision).containsExactly(RolloutPhase.Healthy, null);
        assertThat(client.apps().deployments().inNamespace(NAMESPACE).withName(WorkloadModel.deploymentName("b", Labels.STABLE))
                .get().getSpec().getTemplate().getSpec().getContainers().getFirst().getImage()).isEqualTo("b:1.0");

        // The malformed Rollout is served too, and its field is named.
        waitFor().untilAsserted(() -> assertThat(typoStatus()).as("status of typo")
                .containsEntry("phase", "Healthy").containsEntry("ignoredFields", List.of(TYPO_FIELD)));
        waitFor().untilAsserted(() -> assertThat(client.v1().events().inNamespace(NAMESPACE).list().getItems())
                .anySatisfy(e -> {
                    assertThat(e.getInvolvedObject().getName()).isEqualTo("typo");
                    assertThat(e.getReason()).isEqualTo("UnknownFields");
                    assertThat(e.getMessage()).contains(TYPO_FIELD);
                }));

        Result list = kubectlSluice("list", "-A");
        assertThat(list.code()).as(list.toString()).isZero();
        assertThat(list.out()).as(list.toString())
                .containsPattern("(?m)^shop\\s+a\\s+Healthy\\s+0%\\s+-\\s+" + v2.substring(0, 12) + "\\s+-\\s+")
                .containsPattern("(?m)^shop\\s+b\\s+Healthy\\s+0%\\s+-\\s+[0-9a-f]{12}\\s+-\\s+")
                .containsPattern("(?m)^shop\\s+typo\\s+Healthy\\s+");
        assertThat(list.err()).isEqualTo("Warning: rollout shop/typo has fields Sluice does not know, which are ignored: "
                + TYPO_FIELD + "\n");

        assertThat(operator.isAlive()).isTrue();
        assertThat(log()).as("no watch of the operator stopped").doesNotContain("will stop");
    }

    private void assertNoCanaryWhilePaused(String v2) {
        Deployment canary = client.apps().deployments().inNamespace(NAMESPACE)
                .withName(WorkloadModel.deploymentName("a", Labels.CANARY)).get();
        assertThat(canary).as("a canary Deployment of paused rollout a").isNull();
        RolloutStatus s = status("a");
        assertThat(s.canaryRevision).as("status.canaryRevision of paused rollout a").isNull();
        assertThat(s.source == null ? null : s.source.revision).as("status.source.revision of paused rollout a").isEqualTo(v2);
        assertThat(s.phase).as("phase of paused rollout a (%s)", s.message).isEqualTo(RolloutPhase.Paused);
    }

    private boolean canaryStarted(String name) {
        return status(name).canaryRevision != null || client.apps().deployments().inNamespace(NAMESPACE)
                .withName(WorkloadModel.deploymentName(name, Labels.CANARY)).get() != null;
    }

    /** Rollout {@code name} of apps/{@code name}, with steps that need no analysis. */
    private Rollout rollout(String name) {
        Rollout rollout = RolloutFixtures.checkout(repo.fileUrl());
        rollout.getMetadata().setName(name);
        rollout.getMetadata().setGeneration(null);
        rollout.getSpec().source.git.path = "apps/" + name;
        rollout.getSpec().source.git.interval = "1s";
        rollout.getSpec().workloadRef.name = name;
        rollout.getSpec().strategy.canary.trafficRouting.istio.virtualService.name = name;
        CanaryStep pause = new CanaryStep();
        pause.pause = new Pause();
        pause.pause.duration = "2s";
        rollout.getSpec().strategy.canary.steps = List.of(CanaryStep.weight(20), pause, CanaryStep.weight(50));
        return rollout;
    }

    /** The manifests of every Rollout, running the given version. */
    private static Map<String, String> manifests(String version) {
        Map<String, String> files = new HashMap<>();
        for (String name : List.of("a", "b", "typo")) {
            files.putAll(manifestsOf(name, version));
        }
        return files;
    }

    /** The checkout manifests renamed to {@code name} (Deployment, Service, VirtualService), under apps/{@code name}/. */
    private static Map<String, String> manifestsOf(String name, String version) {
        Map<String, String> files = new HashMap<>();
        RolloutFixtures.checkoutManifests().forEach((file, content) -> files.put("apps/" + name + "/" + file,
                content.replace("checkout:1.0", "IMAGE").replace("checkout", name).replace("IMAGE", name + ":" + version)));
        return files;
    }

    private RolloutStatus status(String name) {
        Rollout r = client.resources(Rollout.class).inNamespace(NAMESPACE).withName(name).get();
        return r == null || r.getStatus() == null ? new RolloutStatus() : r.getStatus();
    }

    private String sourceRevision(String name) {
        RolloutStatus s = status(name);
        return s.source == null ? null : s.source.revision;
    }

    /** Read without the Rollout class, which the typo does not fit. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> typoStatus() {
        GenericKubernetesResource typo = client.genericKubernetesResources("sluice.io/v1alpha1", "Rollout")
                .inNamespace(NAMESPACE).withName("typo").get();
        Object status = typo == null ? null : typo.getAdditionalProperties().get("status");
        return status instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /** Waits up to a minute, and fails at once when the operator process is gone. */
    private ConditionFactory waitFor() {
        return await().atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .failFast(() -> assertThat(operator.isAlive()).as(() -> "the operator exited:\n" + log()).isTrue());
    }

    private String log() {
        try {
            return operatorLog != null && Files.exists(operatorLog) ? Files.readString(operatorLog) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One operator, without leader election. */
    private void startOperator() throws IOException {
        Path dir = Files.createDirectories(workDir.resolve("operator"));
        Path kubeconfig = api.server().writeKubeconfig(dir.resolve("kubeconfig"), "default");
        int port = ExternalProcess.freeLoopbackPort();
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path jar = PROJECT.resolve("target/quarkus-app/quarkus-run.jar");
        assertThat(jar).as("the packaged operator (run after package)").exists();
        List<String> command = List.of(java,
                "-Dsluice.git.allow-file-urls=true",
                "-Dsluice.outbound.allow-loopback=true",
                "-Dsluice.git.cache-dir=" + dir.resolve("git-cache"),
                "-Dsluice.git.min-fetch-interval=0s",
                "-Dsluice.retry-interval=1s",
                "-Dsluice.timer-resolution=200ms",
                "-Dsluice.metrics-refresh=500ms",
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + port,
                "-jar", jar.toString());
        operatorLog = dir.resolve("operator.log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(operatorLog.toFile());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("KUBERNETES_") || k.startsWith("SLUICE_") || k.startsWith("QUARKUS_"));
        env.put("KUBECONFIG", kubeconfig.toString());
        env.put("HOME", dir.toString());
        env.put("POD_NAME", "sluice-0");
        env.put("POD_NAMESPACE", "sluice-system");
        operator = builder.start();
        waitFor().until(() -> log().contains("Leader election is off"));
    }

    private record Result(int code, String out, String err) {
    }

    /** bin/kubectl-sluice of the project, as installed, against the mock API. */
    private Result kubectlSluice(String... args) throws Exception {
        Path dir = Files.createDirectories(workDir.resolve("kubectl"));
        Path kubeconfig = api.server().writeKubeconfig(dir.resolve("kubeconfig"), NAMESPACE);
        List<String> command = new ArrayList<>(List.of(PROJECT.resolve("bin/kubectl-sluice").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile());
        builder.environment().put("KUBECONFIG", kubeconfig.toString());
        builder.environment().put("HOME", dir.toString());
        builder.environment().put("PATH", PROJECT.resolve("bin") + File.pathSeparator + System.getenv("PATH"));
        Process process = builder.start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish within 120s");
        }
        Result result = new Result(process.exitValue(), Files.readString(dir.resolve("out"), StandardCharsets.UTF_8),
                Files.readString(dir.resolve("err"), StandardCharsets.UTF_8));
        Files.writeString(Files.createDirectories(PROJECT.resolve("target").resolve("unknown-fields-it"))
                .resolve("kubectl-sluice-" + args[0] + ".txt"), result.toString());
        return result;
    }
}
