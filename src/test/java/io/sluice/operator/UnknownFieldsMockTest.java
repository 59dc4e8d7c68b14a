package io.sluice.operator;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.core.ConditionTypes;
import io.sluice.core.RolloutFixtures;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.testing.kube.OperatorOnMockApi;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A Rollout with a field this Sluice does not know (a typo a lax API server kept, like the mock API,
 * or a field of a newer Sluice after the operator was rolled back) is read without it and reported on
 * that Rollout; the operator goes on seeing and serving every other Rollout.
 */
@QuarkusTest
@QuarkusTestResource(OperatorOnMockApi.class)
class UnknownFieldsMockTest {
    @Inject
    KubernetesClient client;

    private GitRepoFixture repo;

    @AfterEach
    void close() {
        if (repo != null) {
            repo.close();
        }
    }

    @Test
    void aRolloutWithAnUnknownFieldIsReportedAndTheOthersKeepBeingServed() {
        repo = GitRepoFixture.create();
        Map<String, String> files = new HashMap<>();
        RolloutFixtures.checkoutManifests().forEach((k, v) -> files.put(Path.of("apps/checkout").resolve(k).toString(), v));
        repo.commit("checkout", files);
        if (client.resources(io.sluice.api.v1alpha1.AnalysisTemplate.class).inNamespace("shop").withName("http-slo").get() == null) {
            RolloutFixtures.createAnalysisTemplate(client, "shop");
        }

        String json = client.getKubernetesSerialization().asJson(rollout("typo"))
                .replace("\"steps\":[", "\"steps\":[{\"intervall\":\"5s\",\"pause\":{\"duration\":\"1s\"}},");
        client.resource(client.getKubernetesSerialization().unmarshal(json, GenericKubernetesResource.class)).create();

        Rollout typo = awaitCondition("typo", ConditionTypes.SOURCE_READY, "True");
        assertThat(typo.getStatus().ignoredFields).containsExactly("spec.strategy.canary.steps[0].intervall");
        assertThat(awaitEvent("typo", "UnknownFields").getMessage()).contains("spec.strategy.canary.steps[0].intervall");

        // The watch is still up: a Rollout created afterwards is served, and an edit of the bad one is seen.
        client.resource(rollout("after")).create();
        assertThat(awaitCondition("after", ConditionTypes.SOURCE_READY, "True").getStatus().ignoredFields).isNull();

        GenericKubernetesResource raw = client.genericKubernetesResources("sluice.io/v1alpha1", "Rollout")
                .inNamespace("shop").withName("typo").get();
        String fixed = client.getKubernetesSerialization().asJson(raw).replace("\"intervall\":\"5s\",", "");
        client.resource(client.getKubernetesSerialization().unmarshal(fixed, GenericKubernetesResource.class)).update();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(get("typo").getStatus().ignoredFields)
                .as("cleared once the field is gone").isNull());
    }

    private Rollout rollout(String name) {
        Rollout rollout = RolloutFixtures.checkout(repo.fileUrl());
        rollout.getMetadata().setName(name);
        rollout.getMetadata().setGeneration(null);
        return rollout;
    }

    private Rollout get(String name) {
        return client.resources(Rollout.class).inNamespace("shop").withName(name).get();
    }

    private Rollout awaitCondition(String name, String type, String status) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Rollout current = get(name);
            assertThat(current.getStatus()).as("status of %s", name).isNotNull();
            assertThat(current.getStatus().condition(type)).as("%s of %s", type, name).get()
                    .extracting(c -> c.status).isEqualTo(status);
        });
        return get(name);
    }

    private Event awaitEvent(String name, String reason) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> client.v1().events().inNamespace("shop").list().getItems()
                .stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason()))
                .findFirst().orElse(null), e -> e != null);
    }
}
