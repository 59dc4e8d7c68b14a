package io.sluice.source.jgit;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.source.GitRequest;
import io.sluice.source.SourceException;
import io.sluice.testing.SettableClock;
import io.sluice.testing.git.GitDaemonFixture;
import io.sluice.testing.git.GitRepoFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Mirrors shared by many readers over the real git daemon: one fetch per interval, invalidation, eviction. */
class JGitSourceFetchIT {
    private static final Duration MIN_FETCH_INTERVAL = Duration.ofMinutes(1);
    private static final Duration IDLE_TIMEOUT = Duration.ofHours(1);
    private static final int READERS = 50;
    private static final String FILE = "apps/checkout/deployment.yaml";

    @RegisterExtension
    static final GitDaemonFixture daemon = GitDaemonFixture.start();

    @RegisterExtension
    final GitRepoFixture repo = GitRepoFixture.createIn(daemon.baseDir(), "deploy", "main");

    @TempDir
    Path cache;

    private final SettableClock clock = new SettableClock(Instant.parse("2026-03-01T09:00:00Z"));
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private JGitSource source;

    private synchronized JGitSource source() { // readers race to the first call
        if (source == null) {
            source = new JGitSource(new JGitSource.Settings(cache, Duration.ofSeconds(10), MIN_FETCH_INTERVAL,
                    IDLE_TIMEOUT), clock, meters);
        }
        return source;
    }

    @Test
    void fiftyConcurrentReadersCauseOneFetchPerInterval() throws Exception {
        String first = repo.commit("v1", Map.of(FILE, "replicas: 1\n"));

        assertThat(readConcurrently(daemon.url(repo))).containsExactly(first);
        assertThat(source().fetchCount(daemon.url(repo))).isEqualTo(1);

        String second = repo.commit("v2", Map.of(FILE, "replicas: 2\n"));
        clock.advance(MIN_FETCH_INTERVAL.minusSeconds(1));
        assertThat(readConcurrently(daemon.url(repo))).containsExactly(first);
        assertThat(source().fetchCount(daemon.url(repo))).isEqualTo(1);

        clock.advance(Duration.ofSeconds(1));
        assertThat(readConcurrently(daemon.url(repo))).containsExactly(second);
        assertThat(source().fetchCount(daemon.url(repo))).isEqualTo(2);
        assertThat(meters.get("sluice.git.fetches").tag("outcome", "success").counter().count()).isEqualTo(2);
        assertThat(meters.get("sluice.git.fetches").tag("outcome", "failure").counter().count()).isZero();
    }

    @Test
    void aPushReportedForAnyFormOfTheUrlMakesTheNextReadFetch() throws Exception {
        repo.commit("v1", Map.of(FILE, "replicas: 1\n"));
        read(daemon.url(repo));
        String second = repo.commit("v2", Map.of(FILE, "replicas: 2\n"));

        source().invalidate("https://127.0.0.1/other.git");
        assertThat(read(daemon.url(repo))).isNotEqualTo(second);
        assertThat(source().fetchCount(daemon.url(repo))).isEqualTo(1);

        source().invalidate("https://127.0.0.1/" + repo.name() + ".git");
        assertThat(read(daemon.url(repo))).isEqualTo(second);
        assertThat(read(daemon.url(repo))).isEqualTo(second);
        assertThat(source().fetchCount(daemon.url(repo))).isEqualTo(2);
    }

    @Test
    void aFailedFetchIsReplayedToReadersWithinTheIntervalAndRetriedAfterIt() {
        String unknown = "git://127.0.0.1:" + daemon.port() + "/missing.git";

        for (int attempt = 1; attempt <= 3; attempt++) {
            try {
                read(unknown);
            } catch (SourceException expected) {
                assertThat(expected.reason()).isEqualTo("GitUnreachable");
            }
            assertThat(source().fetchCount(unknown)).as("read %d", attempt).isEqualTo(1);
        }
        clock.advance(MIN_FETCH_INTERVAL);
        try {
            read(unknown);
        } catch (SourceException expected) {
            assertThat(expected.reason()).isEqualTo("GitUnreachable");
        }
        // the retry runs on a fetch thread: a reader may be answered (with the last failure) before it ends; and a
        // mirror whose first clone failed may be dropped and made again, taking its per-mirror count with it, so
        // the operator's own counter of failed fetches is what tells that the fetch was retried
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(meters.get("sluice.git.fetches").tag("outcome", "failure").counter().count()).isEqualTo(2));
    }

    @Test
    void mirrorsUnreadForTheIdleTimeoutAreDeletedAndClonedAgainWhenNeeded() throws Exception {
        try (GitRepoFixture other = GitRepoFixture.createIn(daemon.baseDir(), "other", "main")) {
            repo.commit("v1", Map.of(FILE, "replicas: 1\n"));
            String otherRevision = other.commit("v1", Map.of(FILE, "replicas: 3\n"));
            read(daemon.url(repo));
            read(daemon.url(other));
            Set<Path> bothMirrors = mirrorDirs();
            assertThat(bothMirrors).hasSize(2);

            clock.advance(IDLE_TIMEOUT.minusMinutes(10));
            read(daemon.url(other));
            clock.advance(Duration.ofMinutes(10));
            source().evictIdle();

            assertThat(mirrorDirs()).hasSize(1);
            assertThat(source().fetchCount(daemon.url(repo))).isZero();
            assertThat(source().fetchCount(daemon.url(other))).isEqualTo(2);
            assertThat(read(daemon.url(other))).isEqualTo(otherRevision);

            assertThat(read(daemon.url(repo))).isEqualTo(repo.head());
            assertThat(source().fetchCount(daemon.url(repo))).isEqualTo(1);
            assertThat(mirrorDirs()).isEqualTo(bothMirrors);
        }
    }

    private List<String> readConcurrently(String url) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService readers = Executors.newFixedThreadPool(READERS);
        try {
            List<Future<String>> revisions = new ArrayList<>();
            for (int i = 0; i < READERS; i++) {
                revisions.add(readers.submit((Callable<String>) () -> {
                    start.await();
                    return read(url);
                }));
            }
            start.countDown();
            List<String> distinct = new ArrayList<>();
            for (Future<String> revision : revisions) {
                String r = revision.get();
                if (!distinct.contains(r)) {
                    distinct.add(r);
                }
            }
            return distinct;
        } finally {
            readers.shutdownNow();
        }
    }

    private String read(String url) throws SourceException {
        return source().read(new GitRequest(url, "main", "apps/checkout", Optional.empty())).revision();
    }

    private Set<Path> mirrorDirs() throws IOException {
        try (Stream<Path> entries = Files.list(cache)) {
            return entries.filter(Files::isDirectory).collect(Collectors.toSet());
        }
    }
}
