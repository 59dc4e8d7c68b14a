package io.sluice.demo.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.demo.process.ExternalProcess;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LoadGeneratorTest {

    private final TestBackend backend = new TestBackend("stable").start();

    @AfterEach
    void stop() {
        backend.close();
    }

    @Test
    void stopsByItselfAfterTheMaximumRequestCount() {
        try (LoadGenerator load = new LoadGenerator(backend.url(), 200, Duration.ofSeconds(30), 40).start()) {
            await().atMost(Duration.ofSeconds(5)).until(load::isFinished);

            assertThat(load.stats().sent()).isEqualTo(40);
            assertThat(load.stats().responses(200)).isEqualTo(40);
        }
    }

    @Test
    void stopsByItselfAfterTheMaximumDurationHavingHeldTheRate() {
        try (LoadGenerator load = new LoadGenerator(backend.url(), 100, Duration.ofSeconds(1), 10_000).start()) {
            LoadGenerator.LoadStats stats = load.awaitFinished();

            assertThat(stats.sent()).isBetween(95L, 105L);
            assertThat(stats.responses(200)).isEqualTo(stats.sent());
        }
    }

    @Test
    void countsAnswersByStatusCode() {
        backend.setErrorRate(0.1);
        try (LoadGenerator load = new LoadGenerator(backend.url(), 200, Duration.ofSeconds(30), 100).start()) {
            await().atMost(Duration.ofSeconds(5)).until(load::isFinished);

            assertThat(load.stats().responsesByStatus()).containsEntry(200, 90L).containsEntry(500, 10L);
            assertThat(load.stats().transportErrors()).isZero();
        }
    }

    @Test
    void countsRequestsThatGetNoAnswerAsTransportErrors() {
        URI nobodyListens = URI.create("http://127.0.0.1:" + ExternalProcess.freeLoopbackPort() + "/");
        try (LoadGenerator load = new LoadGenerator(nobodyListens, 100, Duration.ofSeconds(30), 10).start()) {
            await().atMost(Duration.ofSeconds(5)).until(load::isFinished);

            assertThat(load.stats().transportErrors()).isEqualTo(10);
            assertThat(load.stats().responses()).isZero();
            assertThat(load.stats().lastTransportError()).contains("ConnectException");
        }
    }

    @Test
    void stopEndsTheRunEarly() {
        try (LoadGenerator load = new LoadGenerator(backend.url(), 100, Duration.ofSeconds(30), 10_000).start()) {
            await().atMost(Duration.ofSeconds(5)).until(() -> load.stats().sent() >= 10);
            load.stop();
            long sentAtStop = load.stats().sent();

            assertThat(load.isFinished()).isTrue();
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(1))
                    .until(() -> load.stats().sent() == sentAtStop);
        }
    }
}
