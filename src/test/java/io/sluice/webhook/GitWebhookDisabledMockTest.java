package io.sluice.webhook;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sluice.testing.kube.OperatorOnMockApi;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/** Without sluice.webhook.secret the webhook does not exist: 404, and nothing is triggered. */
@QuarkusTest
@QuarkusTestResource(OperatorOnMockApi.class)
class GitWebhookDisabledMockTest {

    @Inject
    GitPushedRecorder pushes;

    @Test
    void withoutASecretTheEndpointAnswers404() {
        pushes.clear();

        given().body("{\"repository\": {\"clone_url\": \"https://github.com/shop/deploy.git\"}}")
                .contentType("application/json")
                .header("X-GitHub-Event", "push")
                .header("X-Hub-Signature-256", "sha256=" + "0".repeat(64))
                .when().post("/webhooks/git")
                .then().statusCode(404);

        assertThat(pushes.events()).isEmpty();
    }
}
