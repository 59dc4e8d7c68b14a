package io.sluice.source.jgit;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.source.GitRequest;
import io.sluice.source.GitSnapshot;
import io.sluice.source.SourceException;
import io.sluice.testing.git.GitRepoFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Git server that never answers, or answers a byte a second, ends its fetch at the deadline
 * ({@code sluice.git.timeout} for the whole fetch, not for each read), and does not delay the reads of
 * other repositories meanwhile.
 */
class FetchDeadlineTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    @TempDir
    Path cache;

    /** How a read ended: its reason (or "ok") and how long it took. */
    record Ended(String reason, Duration took) {
    }

    @Test
    void silentAndTricklingServersEndAtTheDeadlineAndDoNotDelayAHealthyRepository() throws Exception {
        JGitSource source = new JGitSource(new JGitSource.Settings(cache, TIMEOUT, Duration.ZERO, Duration.ofHours(1)),
                Clock.systemUTC(), new SimpleMeterRegistry());
        ExecutorService readers = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().daemon().factory());
        try (SilentGitServer silent = SilentGitServer.silent(); SilentGitServer trickling = SilentGitServer.trickling();
             GitRepoFixture healthy = GitRepoFixture.create()) {
            String head = healthy.commit("v1", Map.of("apps/a/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"));
            List<Future<Ended>> slow = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                slow.add(readers.submit(timed(source, silent.url("silent-" + i))));
                slow.add(readers.submit(timed(source, trickling.url("trickling-" + i))));
            }
            Thread.sleep(500); // they are all connected and waiting now

            long started = System.nanoTime();
            GitSnapshot snapshot = source.read(new GitRequest(healthy.fileUrl(), "main", "apps/a", Optional.empty()));
            Duration healthyTook = Duration.ofNanos(System.nanoTime() - started);
            assertThat(snapshot.revision()).isEqualTo(head);
            assertThat(healthyTook).as("a healthy repository is read while 12 fetches hang").isLessThan(Duration.ofSeconds(2));

            for (Future<Ended> f : slow) {
                Ended ended = f.get(TIMEOUT.toSeconds() + 6, TimeUnit.SECONDS); // fails with a TimeoutException if it hangs
                assertThat(ended.reason()).isEqualTo("GitTimeout");
                assertThat(ended.took()).as("the whole fetch ends at its deadline").isLessThan(TIMEOUT.plusSeconds(3));
            }
        } finally {
            readers.shutdownNow();
        }
    }

    private static java.util.concurrent.Callable<Ended> timed(JGitSource source, String url) {
        return () -> {
            long started = System.nanoTime();
            try {
                source.read(new GitRequest(url, "main", "apps/a", Optional.empty()));
                return new Ended("ok", Duration.ofNanos(System.nanoTime() - started));
            } catch (SourceException e) {
                assertThat(e.getMessage()).contains(url.replace("git://", "")).doesNotContain("fff0");
                return new Ended(e.reason(), Duration.ofNanos(System.nanoTime() - started));
            }
        };
    }
}
