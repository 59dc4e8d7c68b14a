package io.sluice.webhook;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.sandbox.SandboxDeploymentController;
import io.sluice.core.RolloutFixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.sluice.source.GitPushed;
import io.sluice.source.GitRequest;
import io.sluice.source.jgit.JGitSource;
import io.sluice.testing.git.GitDaemonFixture;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.testing.kube.OperatorOnMockApi;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.containsString;

/**
 * The push webhook of the running operator: an authentic push invalidates the repository's mirrors and
 * fires {@link GitPushed}; anything else is refused and triggers nothing.
 */
@QuarkusTest
@QuarkusTestResource(OperatorOnMockApi.class)
@TestProfile(GitWebhookMockTest.WithWebhookSecret.class)
class GitWebhookMockTest {
    private static final String SECRET = "webhook-secret-for-tests";

    /** A webhook secret, and a fetch interval long enough that only an invalidation can cause a fetch. */
    public static class WithWebhookSecret implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sluice.webhook.secret", SECRET, "sluice.git.min-fetch-interval", "1h",
                    "quarkus.http.test-port", "0");
        }
    }

    private static GitDaemonFixture daemon;
    private static GitRepoFixture repo;

    @Inject
    JGitSource git;

    @Inject
    GitPushedRecorder pushes;

    @Inject
    KubernetesClient client;

    @BeforeAll
    static void serveRepository() {
        daemon = GitDaemonFixture.start();
        repo = GitRepoFixture.createIn(daemon.baseDir(), "deploy", "main");
        repo.commit("checkout", Map.of("apps/checkout/deployment.yaml", "kind: Deployment\n"));
    }

    @AfterAll
    static void stopServing() {
        repo.close();
        daemon.close();
    }

    @BeforeEach
    void forgetEarlierPushes() {
        pushes.clear();
    }

    @Test
    void aSignedGithubPushInvalidatesTheMirrorAndFiresGitPushed() throws Exception {
        long fetches = readTwice();
        // GitHub names the repository by its https, ssh and git URLs; the mirror uses git://host:port/.
        String payload = githubPayload("https://127.0.0.1/deploy.git", "git@127.0.0.1:deploy.git");

        given().body(payload).contentType("application/json")
                .header("X-GitHub-Event", "push")
                .header("X-Hub-Signature-256", "sha256=" + hmacSha256(SECRET, payload))
                .when().post("/webhooks/git")
                .then().statusCode(202).body("repositories", equalTo(1)).body(not(containsString(SECRET)));

        assertThat(pushes.events()).containsExactly(new GitPushed(Set.of("127.0.0.1/deploy")));
        read();
        assertThat(git.fetchCount(url())).isEqualTo(fetches + 1);
    }

    @Test
    void aReplayedDeliveryIdTriggersNothingTheSecondTime() throws Exception {
        long fetches = readTwice();
        String payload = githubPayload("https://127.0.0.1/deploy.git", "git@127.0.0.1:deploy.git");
        String delivery = java.util.UUID.randomUUID().toString();

        for (int i = 0; i < 2; i++) {
            given().body(payload).contentType("application/json")
                    .header("X-GitHub-Event", "push")
                    .header("X-GitHub-Delivery", delivery)
                    .header("X-Hub-Signature-256", "sha256=" + hmacSha256(SECRET, payload))
                    .when().post("/webhooks/git")
                    .then().statusCode(202).body("repositories", equalTo(i == 0 ? 1 : 0));
            read();
        }

        assertThat(pushes.events()).as("the captured delivery, sent again").hasSize(1);
        assertThat(git.fetchCount(url())).isEqualTo(fetches + 1);

        // A new push (a new body: its commit differs) under a new delivery id is acted on; the same body
        // under a new id is a replay too (the id is not signed): see GitWebhookPerRepositoryMockTest.
        String next = githubPayload("https://127.0.0.1/deploy.git", "git@127.0.0.1:deploy.git");
        given().body(next).contentType("application/json")
                .header("X-GitHub-Event", "push")
                .header("X-GitHub-Delivery", java.util.UUID.randomUUID().toString())
                .header("X-Hub-Signature-256", "sha256=" + hmacSha256(SECRET, next))
                .when().post("/webhooks/git")
                .then().statusCode(202).body("repositories", equalTo(1));
        assertThat(pushes.events()).as("a new delivery").hasSize(2);
    }

    @Test
    void aGitlabPushWithTheTokenIsAccepted() throws Exception {
        long fetches = readTwice();

        given().body("{\"project\": {\"git_http_url\": \"http://127.0.0.1/deploy.git\"}}").contentType("application/json")
                .header("X-Gitlab-Event", "Push Hook")
                .header("X-Gitlab-Token", SECRET)
                .when().post("/webhooks/git")
                .then().statusCode(202).body("repositories", equalTo(1));

        assertThat(pushes.events()).containsExactly(new GitPushed(Set.of("127.0.0.1/deploy")));
        read();
        assertThat(git.fetchCount(url())).isEqualTo(fetches + 1);
    }

    @Test
    void aWrongOrMissingSignatureIsRefusedAndTriggersNothing() throws Exception {
        long fetches = readTwice();
        String payload = githubPayload("https://127.0.0.1/deploy.git", "git@127.0.0.1:deploy.git");

        given().body(payload).contentType("application/json")
                .header("X-Hub-Signature-256", "sha256=" + hmacSha256("a guess", payload))
                .when().post("/webhooks/git").then().statusCode(401).body(not(containsString(SECRET)));
        given().body(payload).contentType("application/json")
                .header("X-Hub-Signature-256", "sha256=" + hmacSha256(SECRET, payload + " "))
                .when().post("/webhooks/git").then().statusCode(401);
        given().body(payload).contentType("application/json")
                .header("X-Gitlab-Token", "a guess")
                .when().post("/webhooks/git").then().statusCode(401);
        given().body(payload).contentType("application/json")
                .when().post("/webhooks/git").then().statusCode(401);

        assertThat(pushes.events()).isEmpty();
        read();
        assertThat(git.fetchCount(url())).isEqualTo(fetches);
    }

    @Test
    void otherEventsAndPayloadsWithoutRepositoryTriggerNothing() throws Exception {
        String ping = githubPayload("https://127.0.0.1/deploy.git", "git@127.0.0.1:deploy.git");
        given().body(ping).contentType("application/json")
                .header("X-GitHub-Event", "ping")
                .header("X-Hub-Signature-256", "sha256=" + hmacSha256(SECRET, ping))
                .when().post("/webhooks/git").then().statusCode(202).body("repositories", equalTo(0));

        String notJson = "repository=deploy";
        given().body(notJson).contentType("application/x-www-form-urlencoded")
                .header("X-Hub-Signature-256", "sha256=" + hmacSha256(SECRET, notJson))
                .when().post("/webhooks/git").then().statusCode(400);

        assertThat(pushes.events()).isEmpty();
    }

    /** Reads the repository twice: the second read uses the mirror as fetched, within the interval. */
    @Test
    void aPushMakesTheRolloutsOfThatRepositoryReadTheNewCommitAtOnce() throws Exception {
        try (GitRepoFixture shop = GitRepoFixture.createIn(daemon.baseDir(), "shop", "main");
             SandboxDeploymentController deployments = new SandboxDeploymentController(client, "webhook")) {
            RolloutFixtures.createAnalysisTemplate(client, "webhook");
            String v1 = shop.commit("checkout 1.0", inFolder(RolloutFixtures.checkoutManifests()));
            Rollout rollout = RolloutFixtures.checkout(daemon.url(shop));
            rollout.getMetadata().setNamespace("webhook");
            rollout.getMetadata().setGeneration(null);
            rollout.getSpec().source.git.interval = "1h";
            client.resource(rollout).create();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(revisionSeen()).isEqualTo(v1));
            // Healthy: the next look is an hour away unless something wakes the Rollout.
            await().atMost(Duration.ofSeconds(30)).until(() -> client.resources(Rollout.class).inNamespace("webhook")
                    .withName("checkout").get().getStatus().phase == RolloutPhase.Healthy);

            String v2 = shop.commit("checkout 1.1", inFolder(RolloutFixtures.checkoutManifests()));
            String payload = githubPayload("https://127.0.0.1/shop.git", "git@127.0.0.1:shop.git");
            given().body(payload).contentType("application/json")
                    .header("X-GitHub-Event", "push")
                    .header("X-Hub-Signature-256", "sha256=" + hmacSha256(SECRET, payload))
                    .when().post("/webhooks/git")
                    .then().statusCode(202);

            // Polling (1h) and the fetch interval (1h) would both take an hour; the push takes seconds.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(revisionSeen()).isEqualTo(v2));
        }
    }

    private String revisionSeen() {
        Rollout r = client.resources(Rollout.class).inNamespace("webhook").withName("checkout").get();
        return r.getStatus() == null || r.getStatus().source == null ? null : r.getStatus().source.revision;
    }

    private static Map<String, String> inFolder(Map<String, String> files) {
        Map<String, String> out = new java.util.HashMap<>();
        files.forEach((k, v) -> out.put("apps/checkout/" + k, v));
        return out;
    }

    private long readTwice() throws Exception {
        read();
        long fetches = git.fetchCount(url());
        read();
        assertThat(git.fetchCount(url())).isEqualTo(fetches);
        return fetches;
    }

    private void read() throws Exception {
        git.read(new GitRequest(url(), "main", "apps/checkout", Optional.empty()));
    }

    private static String url() {
        return daemon.url(repo);
    }

    private static String githubPayload(String cloneUrl, String sshUrl) {
        return """
                {"ref": "refs/heads/main", "after": "%s",
                 "repository": {"clone_url": "%s", "ssh_url": "%s"}}
                """.formatted(java.util.UUID.randomUUID().toString().replace("-", ""), cloneUrl, sshUrl);
    }

    private static String hmacSha256(String key, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    }
}
