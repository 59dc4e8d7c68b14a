package io.sluice.source.jgit;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.source.GitRequest;
import io.sluice.source.SourceException;
import io.sluice.testing.git.GitRepoFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Before a fetch, the cache is brought under its disk limit by deleting idle mirrors, or the fetch is refused. */
class CacheDiskLimitTest {
    @TempDir
    Path cache;

    @Test
    void anIdleMirrorMakesRoomAndWithNoneLeftTheFetchIsRefused() throws Exception {
        try (GitRepoFixture a = GitRepoFixture.create(); GitRepoFixture b = GitRepoFixture.create()) {
            a.commit("v1", Map.of("apps/a/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"));
            b.commit("v1", Map.of("apps/a/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"));
            // The limit: what one of these mirrors takes, so that two do not fit.
            Path probe = cache.resolve("probe");
            source(probe, Long.MAX_VALUE).read(new GitRequest(a.fileUrl(), "main", "apps/a", Optional.empty()));
            long oneMirror = size(probe);
            Path dir = cache.resolve("cache");
            JGitSource source = source(dir, oneMirror);
            source.read(new GitRequest(a.fileUrl(), "main", "apps/a", Optional.empty()));
            assertThat(source.read(new GitRequest(b.fileUrl(), "main", "apps/a", Optional.empty())).files()).hasSize(1);
            assertThat(source.fetchCount(a.fileUrl())).as("a's idle mirror was deleted to make room").isZero();
            assertThat(size(dir)).isLessThanOrEqualTo(oneMirror + 1024);

            // Nothing idle left to delete (this operator knows no mirror but the one it fetches): refused.
            assertThatThrownBy(() -> source(dir, 1).read(new GitRequest(b.fileUrl(), "main", "apps/a", Optional.empty())))
                    .isInstanceOfSatisfying(SourceException.class, e -> {
                        assertThat(e.reason()).isEqualTo("GitCacheFull");
                        assertThat(e.getMessage()).contains("sluice.git.cache-max-bytes");
                    });
        }
    }

    private static JGitSource source(Path dir, long maxBytes) {
        return new JGitSource(new JGitSource.Settings(dir, Duration.ofSeconds(10), Duration.ZERO, Duration.ofHours(1))
                .withCacheMaxBytes(maxBytes), Clock.systemUTC(), new SimpleMeterRegistry());
    }

    private static long size(Path dir) throws java.io.IOException {
        try (var files = java.nio.file.Files.walk(dir)) {
            return files.filter(java.nio.file.Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }
}
