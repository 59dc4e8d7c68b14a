package io.sluice.sandbox;

import io.fabric8.kubernetes.api.model.APIGroup;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.core.RolloutFixtures;
import io.sluice.testing.kube.MockKubeApi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Discovery in the sandbox API: through the Fabric8 client, and with the real kubectl binary (skipped
 * when kubectl is not installed), which refuses to work against a server that answers no discovery.
 */
class SandboxDiscoveryMockTest {
    @RegisterExtension
    static final MockKubeApi API = MockKubeApi.start();

    @TempDir
    static Path dir;
    private static Path kubeconfig;

    @BeforeAll
    static void seed() {
        KubernetesClient client = API.client();
        RolloutFixtures.createWithStatus(client, RolloutFixtures.checkout("https://git.example.com/shop.git"), status -> {
            status.phase = io.sluice.api.v1alpha1.RolloutPhase.Progressing;
            status.stableRevision = "1111111111aa";
            status.canaryRevision = "2222222222bb";
            status.canaryWeight = 20;
            status.currentStepIndex = 1;
            status.step = "2/4";
        });
        client.apps().deployments().inNamespace("shop").resource(new DeploymentBuilder().withNewMetadata()
                .withName("checkout-stable").endMetadata().withNewSpec().withNewSelector().addToMatchLabels("app", "checkout")
                .endSelector().withNewTemplate().withNewMetadata().addToLabels("app", "checkout").endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("checkout:1.0").endContainer().endSpec()
                .endTemplate().endSpec().build()).create();
        kubeconfig = API.server().writeKubeconfig(dir.resolve("kubeconfig"), "shop");
    }

    @Test
    void theFabric8ClientDiscoversTheBuiltInGroupsAndTheInstalledCrds() {
        KubernetesClient client = API.client();
        assertThat(client.getKubernetesVersion().getGitVersion()).isEqualTo("v1.32.0-sluice-sandbox");
        assertThat(client.getApiGroups().getGroups()).extracting(APIGroup::getName)
                .contains("apps", "coordination.k8s.io", "sluice.io", "networking.istio.io", "rbac.authorization.k8s.io");
        APIGroup sluice = client.getApiGroup("sluice.io");
        assertThat(sluice.getPreferredVersion().getGroupVersion()).isEqualTo("sluice.io/v1alpha1");

        List<APIResource> resources = client.getApiResources("sluice.io/v1alpha1").getResources();
        APIResource rollouts = resources.stream().filter(r -> r.getName().equals("rollouts")).findFirst().orElseThrow();
        assertThat(rollouts.getKind()).isEqualTo("Rollout");
        assertThat(rollouts.getNamespaced()).isTrue();
        assertThat(rollouts.getShortNames()).containsExactly("sro");
        assertThat(rollouts.getCategories()).containsExactly("sluice");
        assertThat(rollouts.getVerbs()).contains("get", "list", "watch", "create", "update", "patch", "delete");
        assertThat(resources).extracting(APIResource::getName)
                .contains("rollouts/status", "analysisruns", "analysisruns/status", "analysistemplates", "clusteranalysistemplates");
        assertThat(resources.stream().filter(r -> r.getName().equals("clusteranalysistemplates")).findFirst().orElseThrow()
                .getNamespaced()).isFalse();

        assertThat(client.getApiResources("v1").getResources()).extracting(APIResource::getName)
                .contains("namespaces", "pods", "services", "configmaps", "secrets", "events");
        assertThat(client.getApiResources("apps/v1").getResources()).extracting(APIResource::getName).contains("deployments");
        assertThat(client.getApiResources("nope.example.com/v1")).as("an unknown group is not found").isNull();

        assertThat(client.resources(Rollout.class).inNamespace("shop").list().getItems()).as("CRUD still works")
                .extracting(r -> r.getMetadata().getName()).containsExactly("checkout");
    }

    @Test
    void kubectlListsRolloutsByNameShortNameAndCategoryAndTheApiResources() throws Exception {
        assumeTrue(kubectl() != null, "kubectl is not installed");

        Result version = kubectl("version", "-o", "json");
        assertThat(version.out()).as(version.toString()).contains("\"gitVersion\": \"v1.32.0-sluice-sandbox\"");

        Result all = kubectl("get", "rollouts", "-A");
        assertThat(all.code()).as(all.toString()).isZero();
        assertThat(all.out().lines().toList()).as("a Table with the CRD's printer columns").hasSize(2);
        assertThat(all.out().lines().toList().get(0)).matches("NAMESPACE\\s+NAME\\s+PHASE\\s+WEIGHT\\s+STEP\\s+STABLE\\s+CANARY\\s+AGE");
        assertThat(all.out().lines().toList().get(1))
                .matches("shop\\s+checkout\\s+Progressing\\s+20\\s+2/4\\s+1111111111aa\\s+2222222222bb\\s+\\d+[smh].*");

        Result shortName = kubectl("get", "sro", "-n", "shop");
        assertThat(shortName.code()).as(shortName.toString()).isZero();
        assertThat(shortName.out()).contains("checkout");

        Result category = kubectl("get", "sluice", "-n", "shop", "-o", "name");
        assertThat(category.code()).as(category.toString()).isZero();
        assertThat(category.out()).contains("rollout.sluice.io/checkout");

        Result deployments = kubectl("get", "deploy", "-n", "shop", "-o", "name");
        assertThat(deployments.out()).as(deployments.toString()).contains("deployment.apps/checkout-stable");

        Result resources = kubectl("api-resources");
        assertThat(resources.code()).as(resources.toString()).isZero();
        assertThat(resources.err()).isEmpty();
        assertThat(resources.out()).containsPattern("(?m)^rollouts\\s+sro\\s+sluice\\.io/v1alpha1\\s+true\\s+Rollout$")
                .containsPattern("(?m)^analysisruns\\s+sar\\s+sluice\\.io/v1alpha1\\s+true\\s+AnalysisRun$")
                .containsPattern("(?m)^clusteranalysistemplates\\s+scat\\s+sluice\\.io/v1alpha1\\s+false\\s+ClusterAnalysisTemplate$")
                .containsPattern("(?m)^deployments\\s+deploy\\s+apps/v1\\s+true\\s+Deployment$")
                .containsPattern("(?m)^leases\\s+coordination\\.k8s\\.io/v1\\s+true\\s+Lease$")
                .containsPattern("(?m)^virtualservices\\s+vs\\s+networking\\.istio\\.io/v1\\s+true\\s+VirtualService$")
                .containsPattern("(?m)^namespaces\\s+ns\\s+v1\\s+false\\s+Namespace$");

        Result sluiceOnly = kubectl("api-resources", "--api-group", "sluice.io", "-o", "name");
        assertThat(sluiceOnly.out().lines().sorted().toList()).containsExactly("analysisruns.sluice.io",
                "analysistemplates.sluice.io", "clusteranalysistemplates.sluice.io", "rollouts.sluice.io");
    }

    @Test
    void tableAgesAreWrittenLikeTheApiServerWritesThem() {
        java.time.Instant now = java.time.Instant.parse("2026-11-22T12:00:00Z");
        java.util.function.Function<java.time.Duration, String> age = d -> SandboxDiscovery.humanAge(now.minus(d).toString(), now);
        assertThat(age.apply(java.time.Duration.ofSeconds(45))).isEqualTo("45s");
        assertThat(age.apply(java.time.Duration.ofSeconds(310))).isEqualTo("5m10s");
        assertThat(age.apply(java.time.Duration.ofMinutes(30))).isEqualTo("30m");
        assertThat(age.apply(java.time.Duration.ofMinutes(200))).isEqualTo("3h20m");
        assertThat(age.apply(java.time.Duration.ofHours(20))).isEqualTo("20h");
        assertThat(age.apply(java.time.Duration.ofHours(76))).isEqualTo("3d4h");
        assertThat(age.apply(java.time.Duration.ofDays(30))).isEqualTo("30d");
        assertThat(SandboxDiscovery.humanAge("yesterday", now)).isEqualTo("<invalid>");
    }

    private record Result(int code, String out, String err) {
    }

    private static String kubectl() {
        for (String entry : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(entry, "kubectl");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    private static Result kubectl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(kubectl(), "--kubeconfig", kubeconfig.toString(),
                "--cache-dir", dir.resolve("kube-cache").toString(), "--request-timeout", "20s"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile());
        builder.environment().put("HOME", dir.toString()); // no ~/.kube of the machine's user
        builder.environment().remove("KUBECONFIG");
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish within 60s");
        }
        return new Result(process.exitValue(), Files.readString(dir.resolve("out"), StandardCharsets.UTF_8),
                Files.readString(dir.resolve("err"), StandardCharsets.UTF_8));
    }
}
