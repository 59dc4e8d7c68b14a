package io.sluice.webhook;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.sluice.source.GitPushed;
import io.sluice.testing.kube.OperatorOnMockApi;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * Repositories with their own webhook secret: a push is accepted only with that repository's secret and
 * wakes only that repository; the shared secret still covers repositories without one. A captured
 * delivery replayed (with a new delivery id, or too late) triggers nothing, and is counted.
 */
@QuarkusTest
@QuarkusTestResource(OperatorOnMockApi.class)
@TestProfile(GitWebhookPerRepositoryMockTest.WithRepositorySecrets.class)
class GitWebhookPerRepositoryMockTest {
    private static final String SHARED = "the-shared-secret";
    private static final String ALPHA = "alpha-team-secret";
    private static final String BETA = "beta-team-secret";

    public static class WithRepositorySecrets implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sluice.webhook.secret", SHARED,
                    "sluice.webhook.repositories.alpha.url", "https://git.example.com/teams/alpha.git",
                    "sluice.webhook.repositories.alpha.secret", ALPHA,
                    "sluice.webhook.repositories.beta.url", "git@git.example.com:teams/beta.git",
                    "sluice.webhook.repositories.beta.secret", BETA,
                    "sluice.git.min-fetch-interval", "1h", "quarkus.http.test-port", "0");
        }
    }

    @Inject
    GitPushedRecorder pushes;

    @Inject
    MeterRegistry registry;

    @BeforeEach
    void forgetEarlierPushes() {
        pushes.clear();
    }

    @Test
    void aPushSignedWithOneRepositorysSecretWakesOnlyThatRepository() throws Exception {
        String beta = payload("https://git.example.com/teams/beta.git", null);
        // Alpha's secret, or the shared one, naming beta: refused, nothing woken.
        post(beta, ALPHA).then().statusCode(401);
        post(beta, SHARED).then().statusCode(401);
        assertThat(pushes.events()).isEmpty();

        post(beta, BETA).then().statusCode(202).body("repositories", equalTo(1));
        assertThat(pushes.events()).containsExactly(new GitPushed(Set.of("git.example.com/teams/beta")));
        pushes.clear();

        // A payload naming alpha and beta, signed with alpha's secret: only alpha wakes.
        String both = payload("https://git.example.com/teams/alpha.git", "git@git.example.com:teams/beta.git");
        post(both, ALPHA).then().statusCode(202).body("repositories", equalTo(1));
        assertThat(pushes.events()).containsExactly(new GitPushed(Set.of("git.example.com/teams/alpha")));
        pushes.clear();

        // GitLab's token works the same way.
        given().body("{\"project\": {\"git_http_url\": \"https://git.example.com/teams/alpha.git\"}}")
                .contentType("application/json").header("X-Gitlab-Event", "Push Hook").header("X-Gitlab-Token", BETA)
                .when().post("/webhooks/git").then().statusCode(401);
        assertThat(pushes.events()).isEmpty();
    }

    @Test
    void theSharedSecretStillCoversRepositoriesWithoutTheirOwn() throws Exception {
        String other = payload("https://git.example.com/teams/gamma.git", null);
        post(other, SHARED).then().statusCode(202).body("repositories", equalTo(1));
        assertThat(pushes.events()).containsExactly(new GitPushed(Set.of("git.example.com/teams/gamma")));
    }

    @Test
    void aCapturedDeliveryReplayedWithANewDeliveryIdOrTooLateTriggersNothing() throws Exception {
        double before = replays();
        String push = payload("https://git.example.com/teams/gamma.git", null);
        post(push, SHARED).then().statusCode(202).body("repositories", equalTo(1));
        // The delivery id is not signed: an attacker sends the captured body under a fresh one.
        post(push, SHARED).then().statusCode(202).body("repositories", equalTo(0));
        assertThat(pushes.events()).hasSize(1);

        // A push from long ago (pushed_at is inside the signed body) is not acted on either.
        String old = payloadPushedAt("https://git.example.com/teams/gamma.git", Instant.now().minusSeconds(3600));
        post(old, SHARED).then().statusCode(202).body("repositories", equalTo(0));
        assertThat(pushes.events()).hasSize(1);
        assertThat(replays() - before).as("ignored deliveries, counted").isEqualTo(2.0);
    }

    private double replays() {
        return registry.find("sluice.webhook.deliveries.ignored").counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private static io.restassured.response.Response post(String body, String secret) throws Exception {
        return given().body(body).contentType("application/json")
                .header("X-GitHub-Event", "push")
                .header("X-GitHub-Delivery", UUID.randomUUID().toString())
                .header("X-Hub-Signature-256", "sha256=" + hmacSha256(secret, body))
                .when().post("/webhooks/git");
    }

    private static String payload(String cloneUrl, String sshUrl) {
        return payloadPushedAt(cloneUrl, sshUrl, Instant.now());
    }

    private static String payloadPushedAt(String cloneUrl, Instant pushedAt) {
        return payloadPushedAt(cloneUrl, null, pushedAt);
    }

    private static String payloadPushedAt(String cloneUrl, String sshUrl, Instant pushedAt) {
        return """
                {"ref": "refs/heads/main", "after": "%s",
                 "repository": {"clone_url": "%s"%s, "pushed_at": %d}}
                """.formatted(UUID.randomUUID().toString().replace("-", ""), cloneUrl,
                sshUrl == null ? "" : ", \"ssh_url\": \"" + sshUrl + "\"", pushedAt.getEpochSecond());
    }

    private static String hmacSha256(String key, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    }
}
