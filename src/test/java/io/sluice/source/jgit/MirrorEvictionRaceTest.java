package io.sluice.source.jgit;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.source.GitRequest;
import io.sluice.testing.git.GitRepoFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Deleting idle mirrors while Rollouts read them makes no read fail: a busy mirror is skipped, an evicted one re-created. */
class MirrorEvictionRaceTest {
    @TempDir
    Path cache;

    @Test
    void readsRunningWhileIdleMirrorsAreDeletedNeverFail() throws Exception {
        // Idle after no time at all: every mirror not being read at that instant is deleted.
        JGitSource source = new JGitSource(new JGitSource.Settings(cache, Duration.ofSeconds(10), Duration.ZERO, Duration.ZERO),
                Clock.systemUTC(), new SimpleMeterRegistry());
        ExecutorService threads = Executors.newFixedThreadPool(5);
        try (GitRepoFixture repo = GitRepoFixture.create()) {
            String head = repo.commit("v1", Map.of("apps/a/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"));
            long until = System.nanoTime() + Duration.ofSeconds(4).toNanos();
            List<String> failures = new CopyOnWriteArrayList<>();
            AtomicInteger reads = new AtomicInteger();
            AtomicInteger evictions = new AtomicInteger();
            List<Future<?>> running = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                running.add(threads.submit(() -> {
                    while (System.nanoTime() < until) {
                        try {
                            assertThat(source.read(new GitRequest(repo.fileUrl(), "main", "apps/a", Optional.empty())).revision())
                                    .isEqualTo(head);
                            reads.incrementAndGet();
                            // short gaps, so that the mirror is idle now and then (on a loaded machine four readers
                            // back to back would keep it busy, and nothing would ever be evicted around them)
                            Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextInt(4));
                        } catch (InterruptedException e) {
                            return;
                        } catch (Exception | AssertionError e) {
                            if (failures.size() < 5) {
                                failures.add(e.getClass().getSimpleName() + ": " + e.getMessage());
                            }
                        }
                    }
                }));
            }
            running.add(threads.submit(() -> {
                while (System.nanoTime() < until) {
                    long before = source.fetchCount(repo.fileUrl());
                    source.evictIdle();
                    if (source.fetchCount(repo.fileUrl()) < before) {
                        evictions.incrementAndGet();
                    }
                    Thread.onSpinWait();
                }
            }));
            for (Future<?> f : running) {
                f.get(30, TimeUnit.SECONDS);
            }
            System.out.printf("MirrorEvictionRaceTest: %d reads, %d evictions seen, %d failures%n", reads.get(), evictions.get(),
                    failures.size());
            assertThat(reads.get()).isPositive();
            assertThat(evictions.get()).as("the mirror was deleted while being read around").isPositive();
            assertThat(failures).as("failed reads (first ones)").isEmpty();
        } finally {
            threads.shutdownNow();
        }
    }
}
