package io.sluice.source.jgit;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.source.GitCredentials;
import io.sluice.source.GitRequest;
import io.sluice.source.GitSnapshot;
import io.sluice.source.SourceException;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.testing.git.GitSshFixture;
import io.sluice.testing.git.SshKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SSH sources against an in-process SSH Git server: the Secret's key, and only its known_hosts trusted. */
class JGitSourceSshTest {
    private static final String DEPLOYMENT = "apps/checkout/deployment.yaml";
    private static final String DEPLOYMENT_YAML = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: checkout\n";
    private static final Path USER_KNOWN_HOSTS = Path.of(System.getProperty("user.home"), ".ssh", "known_hosts");

    @RegisterExtension
    final GitRepoFixture repo = GitRepoFixture.create();

    @TempDir
    Path cache;

    private final KeyPair hostKey = SshKeys.ed25519();
    private final KeyPair userKey = SshKeys.ed25519();

    @Test
    void readsWithTheSecretsKeyWhenTheHostKeyIsKnown() throws Exception {
        String revision = repo.commit("checkout", Map.of(DEPLOYMENT, DEPLOYMENT_YAML));
        try (GitSshFixture server = GitSshFixture.serve(repo, hostKey, userKey.getPublic())) {
            GitSnapshot snapshot = source().read(request(server.url(), userKey, server.knownHostsLine()));

            assertThat(snapshot.revision()).isEqualTo(revision);
            assertThat(snapshot.files()).containsExactly(Map.entry("deployment.yaml", DEPLOYMENT_YAML));
        }
    }

    @Test
    void rsaAndEcdsaKeysAndAHashedKnownHostsEntryWork() throws Exception {
        KeyPair ecdsaHost = SshKeys.ecdsaP256();
        KeyPair rsaUser = SshKeys.rsa();
        String revision = repo.commit("checkout", Map.of(DEPLOYMENT, DEPLOYMENT_YAML));
        try (GitSshFixture server = GitSshFixture.serve(repo, ecdsaHost, rsaUser.getPublic())) {
            String hashed = hashedHost("[127.0.0.1]:" + server.port()) + " " + SshKeys.publicKeyLine(ecdsaHost);

            assertThat(source().read(request(server.url(), rsaUser, "# a comment\n\n" + hashed)).revision())
                    .isEqualTo(revision);
        }
    }

    @Test
    void anUnknownHostKeyIsRefusedAndNotRemembered() throws Exception {
        repo.commit("checkout", Map.of(DEPLOYMENT, DEPLOYMENT_YAML));
        Optional<String> userKnownHostsBefore = readIfExists(USER_KNOWN_HOSTS);
        try (GitSshFixture server = GitSshFixture.serve(repo, hostKey, userKey.getPublic())) {
            String otherHostOnly = "git.example.com " + SshKeys.publicKeyLine(SshKeys.ed25519());
            JGitSource source = source();

            for (int attempt = 0; attempt < 2; attempt++) {
                assertThatThrownBy(() -> source.read(request(server.url(), userKey, otherHostOnly)))
                        .isInstanceOfSatisfying(SourceException.class, e -> {
                            assertThat(e.reason()).isEqualTo("HostKeyUnknown");
                            assertThat(e.getMessage()).contains("[127.0.0.1]:" + server.port(), "SHA256:", "not trusted");
                        });
            }
        }
        assertThat(readIfExists(USER_KNOWN_HOSTS)).isEqualTo(userKnownHostsBefore);
    }

    @Test
    void aChangedHostKeyIsRefused() {
        repo.commit("checkout", Map.of(DEPLOYMENT, DEPLOYMENT_YAML));
        try (GitSshFixture server = GitSshFixture.serve(repo, hostKey, userKey.getPublic())) {
            String previousKey = "[127.0.0.1]:" + server.port() + " " + SshKeys.publicKeyLine(SshKeys.ed25519());

            assertThatThrownBy(() -> source().read(request(server.url(), userKey, previousKey)))
                    .isInstanceOfSatisfying(SourceException.class, e -> {
                        assertThat(e.reason()).isEqualTo("HostKeyMismatch");
                        assertThat(e.getMessage()).contains("differs", "not trusted");
                    });
        }
    }

    @Test
    void aRevokedHostKeyIsRefusedEvenWhenAlsoListedAsTrusted() {
        repo.commit("checkout", Map.of(DEPLOYMENT, DEPLOYMENT_YAML));
        try (GitSshFixture server = GitSshFixture.serve(repo, hostKey, userKey.getPublic())) {
            String knownHosts = server.knownHostsLine() + "\n@revoked " + server.knownHostsLine();

            assertThatThrownBy(() -> source().read(request(server.url(), userKey, knownHosts)))
                    .isInstanceOfSatisfying(SourceException.class, e -> {
                        assertThat(e.reason()).isEqualTo("HostKeyMismatch");
                        assertThat(e.getMessage()).contains("@revoked");
                    });
        }
    }

    @Test
    void aKeyTheServerDoesNotAcceptFailsAuthentication() {
        repo.commit("checkout", Map.of(DEPLOYMENT, DEPLOYMENT_YAML));
        KeyPair someoneElse = SshKeys.ed25519();
        try (GitSshFixture server = GitSshFixture.serve(repo, hostKey, userKey.getPublic())) {
            assertThatThrownBy(() -> source().read(request(server.url(), someoneElse, server.knownHostsLine())))
                    .isInstanceOfSatisfying(SourceException.class, e -> {
                        assertThat(e.reason()).isEqualTo("GitAuthFailed");
                        assertThat(e.getMessage()).contains("not authorized")
                                .doesNotContain(SshKeys.openSshPrivateKey(someoneElse).lines().skip(1).findFirst().orElseThrow());
                    });
        }
    }

    @Test
    void anUnreadableKeyIsAnInvalidSecretAndItsTextIsNotRepeated() {
        String notAKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWJ1dC1ub3QtYS1rZXk=\n-----END OPENSSH PRIVATE KEY-----\n";
        GitRequest request = new GitRequest("ssh://git@127.0.0.1:1/repo.git", "main", ".",
                Optional.of(new GitCredentials.Ssh(notAKey, "[127.0.0.1]:1 " + SshKeys.publicKeyLine(hostKey))));

        assertThatThrownBy(() -> source().read(request)).isInstanceOfSatisfying(SourceException.class, e -> {
            assertThat(e.reason()).isEqualTo("InvalidSecret");
            assertThat(e.getMessage()).contains("identity").doesNotContain("c2VjcmV0");
        });
    }

    @Test
    void aMalformedKnownHostsLineIsAnInvalidSecret() {
        GitRequest request = new GitRequest("ssh://git@127.0.0.1:1/repo.git", "main", ".", Optional.of(
                new GitCredentials.Ssh(SshKeys.openSshPrivateKey(userKey), "127.0.0.1 ssh-ed25519 not-base64!")));

        assertThatThrownBy(() -> source().read(request)).isInstanceOfSatisfying(SourceException.class, e -> {
            assertThat(e.reason()).isEqualTo("InvalidSecret");
            assertThat(e.getMessage()).contains("line 1", "known_hosts");
        });
    }

    @Test
    void sshUrlsNeedSshCredentialsAndSshCredentialsNeedAnSshUrl() {
        var https = Optional.<GitCredentials>of(new GitCredentials.Https("bot", "token-123"));
        var ssh = Optional.<GitCredentials>of(new GitCredentials.Ssh(SshKeys.openSshPrivateKey(userKey),
                "127.0.0.1 " + SshKeys.publicKeyLine(hostKey)));
        String scpLike = "git@127.0.0.1:shop/deploy.git";

        assertThat(reasonOf(new GitRequest(scpLike, "main", ".", Optional.empty()))).isEqualTo("InvalidSpec");
        assertThat(reasonOf(new GitRequest(scpLike, "main", ".", https))).isEqualTo("InvalidSecret");
        assertThat(reasonOf(new GitRequest("ssh://git@127.0.0.1/shop/deploy.git", "main", ".", https)))
                .isEqualTo("InvalidSecret");
        assertThat(reasonOf(new GitRequest(repo.fileUrl(), "main", ".", ssh))).isEqualTo("InvalidSecret");
    }

    private String reasonOf(GitRequest request) {
        try {
            source().read(request);
            throw new AssertionError("read " + request.url() + " although the credentials do not fit it");
        } catch (SourceException e) {
            assertThat(e.getMessage()).doesNotContain("token-123");
            return e.reason();
        }
    }

    private JGitSource source() {
        return new JGitSource(new JGitSource.Settings(cache, Duration.ofSeconds(10), Duration.ofSeconds(10),
                Duration.ofHours(1)), Clock.systemUTC(), new SimpleMeterRegistry());
    }

    private static GitRequest request(String url, KeyPair identity, String knownHosts) {
        return new GitRequest(url, "main", "apps/checkout",
                Optional.of(new GitCredentials.Ssh(SshKeys.openSshPrivateKey(identity), knownHosts)));
    }

    /** known_hosts' HashKnownHosts form: |1|base64(salt)|base64(HMAC-SHA1 of the host pattern, keyed by salt). */
    private static String hashedHost(String hostPattern) throws Exception {
        byte[] salt = new byte[20];
        new java.security.SecureRandom().nextBytes(salt);
        Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec(salt, "HmacSHA1"));
        byte[] hash = mac.doFinal(hostPattern.getBytes(StandardCharsets.UTF_8));
        return "|1|" + Base64.getEncoder().encodeToString(salt) + "|" + Base64.getEncoder().encodeToString(hash);
    }

    private static Optional<String> readIfExists(Path file) throws Exception {
        return Files.exists(file) ? Optional.of(Files.readString(file)) : Optional.empty();
    }
}
