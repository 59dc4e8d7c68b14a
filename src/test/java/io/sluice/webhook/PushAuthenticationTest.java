package io.sluice.webhook;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class PushAuthenticationTest {
    /** The example of GitHub's "Validating webhook deliveries" documentation. */
    private static final String GITHUB_SECRET = "It's a Secret to Everybody";
    private static final byte[] GITHUB_BODY = "Hello, World!".getBytes(StandardCharsets.UTF_8);
    private static final String GITHUB_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    private final PushAuthentication github = new PushAuthentication(GITHUB_SECRET);

    @Test
    void githubsDocumentedSignatureIsAccepted() {
        assertThat(github.authentic(GITHUB_BODY, GITHUB_SIGNATURE, null)).isTrue();
        assertThat(github.authentic(GITHUB_BODY, GITHUB_SIGNATURE.toUpperCase().replace("SHA256=", "sha256="), null))
                .isTrue();
    }

    @Test
    void aSignatureOfAnotherBodyOrKeyOrFormIsRefused() {
        assertThat(github.authentic("Hello, World?".getBytes(StandardCharsets.UTF_8), GITHUB_SIGNATURE, null)).isFalse();
        assertThat(new PushAuthentication("another secret").authentic(GITHUB_BODY, GITHUB_SIGNATURE, null)).isFalse();
        assertThat(github.authentic(GITHUB_BODY, GITHUB_SIGNATURE.substring("sha256=".length()), null)).isFalse();
        assertThat(github.authentic(GITHUB_BODY, "sha1=757107ea0eb2509fc211221cce984b8a37570b6d", null)).isFalse();
        assertThat(github.authentic(GITHUB_BODY, "sha256=not-hex", null)).isFalse();
        assertThat(github.authentic(GITHUB_BODY, "sha256=757107ea", null)).isFalse();
        assertThat(github.authentic(GITHUB_BODY, "", null)).isFalse();
    }

    @Test
    void aGithubSignatureIsCheckedEvenWhenAGitlabTokenIsAlsoSent() {
        assertThat(github.authentic(GITHUB_BODY, "sha256=00", GITHUB_SECRET)).isFalse();
    }

    @Test
    void gitlabsTokenMustEqualTheSecret() {
        PushAuthentication gitlab = new PushAuthentication("gl-webhook-secret");

        assertThat(gitlab.authentic(new byte[0], null, "gl-webhook-secret")).isTrue();
        assertThat(gitlab.authentic(new byte[0], null, "gl-webhook-secreT")).isFalse();
        assertThat(gitlab.authentic(new byte[0], null, "gl-webhook-secret-and-more")).isFalse();
        assertThat(gitlab.authentic(new byte[0], null, "")).isFalse();
    }

    @Test
    void neitherHeaderIsRefused() {
        assertThat(github.authentic(GITHUB_BODY, null, null)).isFalse();
    }
}
