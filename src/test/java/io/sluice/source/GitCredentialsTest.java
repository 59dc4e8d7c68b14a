package io.sluice.source;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GitCredentialsTest {
    private static final String KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
    private static final String KNOWN_HOSTS = "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n";

    @Test
    void aTokenFromStringDataIsHttpsCredentials() throws Exception {
        assertThat(GitCredentials.fromSecret(secret(Map.of("username", "bot", "password", "s3cret-token"), Map.of())))
                .isEqualTo(new GitCredentials.Https("bot", "s3cret-token"));
    }

    @Test
    void theUsernameDefaultsToGit() throws Exception {
        assertThat(GitCredentials.fromSecret(secret(Map.of("password", "s3cret-token"), Map.of())))
                .isEqualTo(new GitCredentials.Https("git", "s3cret-token"));
    }

    @Test
    void base64DataIsDecodedAndStringDataWins() throws Exception {
        Secret secret = secret(Map.of("username", "from-string-data"), Map.of("username", b64("from-data"),
                "password", b64("s3cret-token")));

        assertThat(GitCredentials.fromSecret(secret)).isEqualTo(new GitCredentials.Https("from-string-data", "s3cret-token"));
    }

    @Test
    void anIdentityAndKnownHostsAreSshCredentials() throws Exception {
        assertThat(GitCredentials.fromSecret(secret(Map.of(), Map.of("identity", b64(KEY), "known_hosts", b64(KNOWN_HOSTS)))))
                .isEqualTo(new GitCredentials.Ssh(KEY, KNOWN_HOSTS));
    }

    @Test
    void anIdentityWithoutKnownHostsIsRefusedNamingTheMissingKey() {
        assertThatThrownBy(() -> GitCredentials.fromSecret(secret(Map.of("identity", KEY), Map.of())))
                .isInstanceOfSatisfying(SourceException.class, e -> {
                    assertThat(e.reason()).isEqualTo("InvalidSecret");
                    assertThat(e.getMessage()).contains("Secret git-creds", "'known_hosts'").doesNotContain("b3BlbnNza");
                });
    }

    @Test
    void aSecretWithoutCredentialsNamesTheKeysItNeeds() {
        assertThatThrownBy(() -> GitCredentials.fromSecret(secret(Map.of("username", "bot"), Map.of())))
                .isInstanceOfSatisfying(SourceException.class, e -> {
                    assertThat(e.reason()).isEqualTo("InvalidSecret");
                    assertThat(e.getMessage()).contains("'password'", "'identity'", "'known_hosts'", "only username")
                            .doesNotContain("bot");
                });
    }

    @Test
    void aSecretWithBothKindsIsAmbiguous() {
        assertThatThrownBy(() -> GitCredentials.fromSecret(secret(Map.of("password", "s3cret-token", "identity", KEY,
                "known_hosts", KNOWN_HOSTS), Map.of())))
                .isInstanceOfSatisfying(SourceException.class, e -> {
                    assertThat(e.reason()).isEqualTo("InvalidSecret");
                    assertThat(e.getMessage()).contains("both").doesNotContain("s3cret");
                });
    }

    @Test
    void dataThatIsNotBase64IsRefusedWithoutItsValue() {
        assertThatThrownBy(() -> GitCredentials.fromSecret(secret(Map.of(), Map.of("password", "not*base64*s3cret"))))
                .isInstanceOfSatisfying(SourceException.class, e -> {
                    assertThat(e.reason()).isEqualTo("InvalidSecret");
                    assertThat(e.getMessage()).contains("'password'", "base64").doesNotContain("s3cret");
                });
    }

    @Test
    void toStringNeverShowsSecrets() {
        assertThat(new GitCredentials.Https("bot", "s3cret-token").toString()).contains("bot").doesNotContain("s3cret");
        assertThat(new GitCredentials.Ssh(KEY, KNOWN_HOSTS).toString()).doesNotContain("b3BlbnNza").doesNotContain("PRIVATE");
    }

    private static Secret secret(Map<String, String> stringData, Map<String, String> data) {
        return new SecretBuilder().withNewMetadata().withName("git-creds").withNamespace("shop").endMetadata()
                .withStringData(stringData).withData(data).build();
    }

    private static String b64(String value) {
        return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
    }
}
