package io.sluice.source.jgit;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.source.GitCredentials;
import io.sluice.source.GitRequest;
import io.sluice.source.SourceException;
import io.sluice.testing.git.GitHttpFixture;
import io.sluice.testing.git.GitRepoFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** HTTPS-style sources with a token, against the real git http-backend behind basic authentication. */
class JGitSourceHttpsIT {
    private static final String TOKEN = "ghp_sluiceTestToken0123456789";
    private static final String DEPLOYMENT_YAML = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: checkout\n";

    @TempDir
    Path cache;

    @RegisterExtension
    static final GitHttpFixture http = GitHttpFixture.start("bot", TOKEN);

    @RegisterExtension
    final GitRepoFixture repo = GitRepoFixture.createIn(http.baseDir(), "deploy", "main");

    @Test
    void theRightTokenReadsTheRepository() throws Exception {
        String revision = repo.commit("checkout", Map.of("apps/checkout/deployment.yaml", DEPLOYMENT_YAML));

        var snapshot = source().read(request(new GitCredentials.Https("bot", TOKEN)));

        assertThat(snapshot.revision()).isEqualTo(revision);
        assertThat(snapshot.files()).containsOnlyKeys("deployment.yaml");
    }

    @Test
    void aWrongTokenIsReportedAsRefusedCredentialsWithoutTheToken() {
        repo.commit("checkout", Map.of("apps/checkout/deployment.yaml", DEPLOYMENT_YAML));
        int refusedBefore = http.refusedRequests();
        String wrong = "ghp_revokedToken9876543210";

        assertThatThrownBy(() -> source().read(request(new GitCredentials.Https("bot", wrong))))
                .isInstanceOfSatisfying(SourceException.class, e -> {
                    assertThat(e.reason()).isEqualTo("GitAuthFailed");
                    assertThat(e.getMessage()).contains(http.url(repo), "not authorized")
                            .doesNotContain(wrong).doesNotContain("bot:");
                });
        // The first request is anonymous; the refused token is not retried over and over.
        assertThat(http.refusedRequests() - refusedBefore).isBetween(2, 3);
    }

    @Test
    void noCredentialsForARepositoryThatNeedsThemSaysSo() {
        repo.commit("checkout", Map.of("apps/checkout/deployment.yaml", DEPLOYMENT_YAML));

        assertThatThrownBy(() -> source().read(new GitRequest(http.url(repo), "main", "apps/checkout", Optional.empty())))
                .isInstanceOfSatisfying(SourceException.class, e -> {
                    assertThat(e.reason()).isEqualTo("GitAuthFailed");
                    assertThat(e.getMessage()).contains("requires credentials", "source.git.secretRef");
                });
    }

    private GitRequest request(GitCredentials credentials) {
        return new GitRequest(http.url(repo), "main", "apps/checkout", Optional.of(credentials));
    }

    private JGitSource source() {
        return new JGitSource(new JGitSource.Settings(cache, Duration.ofSeconds(10), Duration.ofSeconds(10),
                Duration.ofHours(1)), Clock.systemUTC(), new SimpleMeterRegistry());
    }
}
