package io.sluice.operator;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sluice.api.v1alpha1.AnalysisTemplate;
import io.sluice.api.v1alpha1.Condition;
import io.sluice.api.v1alpha1.LocalObjectReference;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.core.ConditionTypes;
import io.sluice.core.RolloutFixtures;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.testing.git.GitSshFixture;
import io.sluice.testing.git.SshKeys;
import io.sluice.testing.kube.OperatorOnMockApi;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The operator reads an SSH source with the key and known_hosts of the Rollout's Secret.
 * <p>
 * ECDSA keys here: under {@code @QuarkusTest}, BouncyCastle is already registered as a security provider
 * from the application class loader when Quarkus starts, and sshd inside Quarkus's class loader cannot use
 * the ed25519 keys that provider makes (same class names, other loader). A packaged operator has one
 * class loader; ed25519 is covered by {@code JGitSourceSshTest}.
 */
@QuarkusTest
@QuarkusTestResource(OperatorOnMockApi.class)
class GitSshSourceMockTest {
    private static final AtomicInteger NAMES = new AtomicInteger();

    @Inject
    KubernetesClient client;

    private final List<AutoCloseable> fixtures = new ArrayList<>();

    @AfterEach
    void closeFixtures() throws Exception {
        for (AutoCloseable fixture : fixtures.reversed()) {
            fixture.close();
        }
    }

    @Test
    void anSshSourceIsReadWithTheKeyAndKnownHostsOfTheSecret() {
        GitRepoFixture repo = GitRepoFixture.create();
        fixtures.add(repo);
        String revision = repo.commit("checkout", inFolder(RolloutFixtures.checkoutManifests()));
        KeyPair userKey = SshKeys.ecdsaP256();
        GitSshFixture server = GitSshFixture.serve(repo, SshKeys.ecdsaP256(), userKey.getPublic());
        fixtures.add(server);
        createTemplate();
        String secret = secret(Map.of("identity", SshKeys.openSshPrivateKey(userKey), "known_hosts", server.knownHostsLine()));

        Rollout rollout = create(server.url(), secret);

        assertThat(awaitSourceReady(rollout, "True").getStatus().source.revision).isEqualTo(revision);
    }

    @Test
    void aKeyWithoutKnownHostsIsAnInvalidSecretThatNeverShowsTheKey() {
        createTemplate();
        String key = SshKeys.openSshPrivateKey(SshKeys.ecdsaP256());
        String secret = secret(Map.of("identity", key));

        Rollout rollout = create("git@git.example.com:shop/deploy.git", secret);

        Condition source = awaitSourceReady(rollout, "False").getStatus().condition(ConditionTypes.SOURCE_READY).orElseThrow();
        assertThat(source.reason).isEqualTo("InvalidSecret");
        assertThat(source.message).contains("Secret " + secret, "'known_hosts'")
                .doesNotContain(key.lines().skip(1).findFirst().orElseThrow());
    }

    /** A Secret with base64 data, as kubectl create secret makes it. */
    private String secret(Map<String, String> values) {
        String name = "git-ssh-" + NAMES.incrementAndGet();
        Map<String, String> data = new HashMap<>();
        values.forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        client.secrets().inNamespace("shop").resource(new SecretBuilder().withNewMetadata().withName(name).endMetadata()
                .withData(data).build()).create();
        return name;
    }

    private Rollout create(String url, String secret) {
        Rollout rollout = RolloutFixtures.checkout(url);
        rollout.getMetadata().setName("checkout-ssh-" + NAMES.incrementAndGet());
        rollout.getMetadata().setGeneration(null);
        rollout.getSpec().source.git.secretRef = new LocalObjectReference(secret);
        return client.resource(rollout).create();
    }

    private Rollout awaitSourceReady(Rollout rollout, String status) {
        var rollouts = client.resources(Rollout.class).inNamespace("shop").withName(rollout.getMetadata().getName());
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(rollouts.get().getStatus()).isNotNull()
                .satisfies(s -> assertThat(s.condition(ConditionTypes.SOURCE_READY)).get()
                        .extracting(c -> c.status).as(s.message).isEqualTo(status)));
        return rollouts.get();
    }

    private void createTemplate() {
        AnalysisTemplate template = client.getKubernetesSerialization().unmarshal("""
                apiVersion: sluice.io/v1alpha1
                kind: AnalysisTemplate
                metadata: {name: http-slo, namespace: shop}
                spec:
                  metrics:
                  - name: error-rate
                    successCondition: result < 0.01
                    provider: {prometheus: {query: "sum(rate(errors[1m]))"}}
                """, AnalysisTemplate.class);
        client.resource(template).createOr(existing -> existing.update());
    }

    private static Map<String, String> inFolder(Map<String, String> files) {
        Map<String, String> out = new HashMap<>();
        files.forEach((path, content) -> out.put("apps/checkout/" + path, content));
        return out;
    }
}
