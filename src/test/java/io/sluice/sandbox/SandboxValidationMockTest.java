package io.sluice.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.api.v1alpha1.RolloutStatus;
import io.sluice.core.RolloutFixtures;
import io.sluice.testing.kube.MockKubeApi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The sandbox validates custom resources against their CRDs (schema and CEL rules) on create, update, patch
 * and status update, and refuses invalid ones with 422 and the API server's Status, as a cluster would;
 * unless it is asked to be lax.
 */
class SandboxValidationMockTest {
    @RegisterExtension
    static final MockKubeApi API = MockKubeApi.start();

    private static Rollout rollout(String name, int firstWeight) {
        Rollout r = RolloutFixtures.checkout("https://git.example.com/shop.git");
        r.getMetadata().setName(name);
        r.getMetadata().setGeneration(null);
        r.getSpec().strategy.canary.steps.getFirst().setWeight = firstWeight;
        return r;
    }

    @Test
    void aRolloutWithSetWeight150IsRefusedWith422NamingTheField() throws Exception {
        KubernetesClient client = API.client();
        assertThat(rollout("w150", 150).getSpec().strategy.canary.steps.getFirst().setWeight).isEqualTo(150);
        assertThatThrownBy(() -> client.resource(rollout("w150", 150)).create())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(422);
                    assertThat(e.getStatus().getReason()).isEqualTo("Invalid");
                    assertThat(e.getStatus().getMessage()).isEqualTo("Rollout.sluice.io \"w150\" is invalid: "
                            + "spec.strategy.canary.steps[0].setWeight: Invalid value: 150: must be <= 100.0");
                    assertThat(e.getStatus().getDetails().getKind()).isEqualTo("Rollout");
                    assertThat(e.getStatus().getDetails().getGroup()).isEqualTo("sluice.io");
                    assertThat(e.getStatus().getDetails().getName()).isEqualTo("w150");
                    assertThat(e.getStatus().getDetails().getCauses()).singleElement().satisfies(cause -> {
                        assertThat(cause.getField()).isEqualTo("spec.strategy.canary.steps[0].setWeight");
                        assertThat(cause.getReason()).isEqualTo("FieldValueInvalid");
                    });
                });
        assertThat(client.resources(Rollout.class).inNamespace("shop").withName("w150").get()).isNull();

        // the raw answer is the API server's Status
        HttpResponse<String> raw = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(API.server().url() + "/apis/sluice.io/v1alpha1/namespaces/shop/rollouts"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(client.getKubernetesSerialization().asJson(rollout("w150", 150))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(raw.statusCode()).isEqualTo(422);
        @SuppressWarnings("unchecked")
        Map<String, Object> status = new ObjectMapper().readValue(raw.body(), Map.class);
        assertThat(status).containsEntry("kind", "Status").containsEntry("apiVersion", "v1").containsEntry("status", "Failure")
                .containsEntry("reason", "Invalid").containsEntry("code", 422);
    }

    @Test
    void aValidRolloutIsAcceptedAndAPatchOrUpdateMakingItInvalidIsRefused() {
        KubernetesClient client = API.client();
        Rollout created = client.resource(rollout("valid", 20)).create();
        assertThat(created.getMetadata().getResourceVersion()).isNotNull();

        assertThatThrownBy(() -> client.resources(Rollout.class).inNamespace("shop").withName("valid")
                .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                        "{\"spec\":{\"strategy\":{\"canary\":{\"steps\":[{\"setWeight\":20,\"pause\":{}}]}}}}"))
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(422);
                    assertThat(e.getStatus().getMessage()).startsWith("Rollout.sluice.io \"valid\" is invalid: "
                            + "spec.strategy.canary.steps[0]: Invalid value: \"object\": ");
                });

        Rollout r = client.resources(Rollout.class).inNamespace("shop").withName("valid").get();
        r.getSpec().progressDeadlineSeconds = 0;
        assertThatThrownBy(() -> client.resource(r).update())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getStatus().getMessage())
                        .contains("spec.progressDeadlineSeconds: Invalid value: 0: must be >= 1"));

        Rollout current = client.resources(Rollout.class).inNamespace("shop").withName("valid").get();
        current.setStatus(new RolloutStatus());
        current.getStatus().phase = RolloutPhase.Progressing;
        current.getStatus().canaryWeight = 250;
        assertThatThrownBy(() -> client.resource(current).updateStatus())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getStatus().getMessage())
                        .contains("status.canaryWeight: Invalid value: 250: must be <= 100.0"));
        current.getStatus().canaryWeight = 20;
        assertThat(client.resource(current).updateStatus().getStatus().canaryWeight).isEqualTo(20);
        assertThat(client.resources(Rollout.class).inNamespace("shop").withName("valid").get().getSpec()
                .strategy.canary.steps.getFirst().setWeight).isEqualTo(20);
    }

    @Test
    void aLaxServerOrALaxRequestAdmitsWhatTheCrdForbids() {
        try (KubernetesClient lax = MockKubeApi.laxClient(API.client())) {
            assertThat(lax.resource(rollout("lax-request", 150)).create().getSpec().strategy.canary.steps.getFirst().setWeight)
                    .isEqualTo(150);
        }
        // updates that do not add violations pass, as with the API server's validation ratcheting
        Rollout stored = API.client().resources(Rollout.class).inNamespace("shop").withName("lax-request").get();
        stored.setStatus(new RolloutStatus());
        stored.getStatus().phase = RolloutPhase.Degraded;
        assertThat(API.client().resource(stored).updateStatus().getStatus().phase).isEqualTo(RolloutPhase.Degraded);

        try (MockKubeApi laxApi = MockKubeApi.start().lax()) {
            assertThat(laxApi.client().resource(rollout("lax-server", 150)).create().getMetadata().getName())
                    .isEqualTo("lax-server");
        }
    }

    @Test
    void kubectlApplyOfAnInvalidRolloutFailsWithTheApiServersMessage() throws Exception {
        String kubectl = null;
        for (String entry : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (java.nio.file.Files.isExecutable(java.nio.file.Path.of(entry, "kubectl"))) {
                kubectl = java.nio.file.Path.of(entry, "kubectl").toString();
            }
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(kubectl != null, "kubectl is not installed");
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("sluice-validation");
        java.nio.file.Path file = dir.resolve("rollout.yaml");
        java.nio.file.Files.writeString(file, java.nio.file.Files.readString(java.nio.file.Path.of(
                        System.getProperty("sluice.project.dir", System.getProperty("user.dir")), "examples/checkout/rollout.yaml"))
                .replace("setWeight: 5\n", "setWeight: 150\n").replace("name: checkout\n  namespace", "name: kubectl-150\n  namespace"));
        ProcessBuilder builder = new ProcessBuilder(kubectl, "--kubeconfig",
                API.server().writeKubeconfig(dir.resolve("kubeconfig"), "shop").toString(), "--cache-dir",
                dir.resolve("cache").toString(), "apply", "-f", file.toString()).redirectErrorStream(true);
        builder.environment().put("HOME", dir.toString());
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor()).as(out).isEqualTo(1);
        assertThat(out).contains("The Rollout \"kubectl-150\" is invalid: spec.strategy.canary.steps[0].setWeight: "
                + "Invalid value: 150: must be <= 100.0");
    }
}
