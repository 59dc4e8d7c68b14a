package io.sluice.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operator runs in the demo's JVM; its log and whatever else is printed there go to the log file,
 * and the terminal shows only the narration. (That the operator's own WARN and ERROR lines stay off
 * the terminal is checked on the packaged demo, in {@link DemoOncePackagedIT}.)
 */
class DemoOperatorLogTest {
    @TempDir
    Path dir;

    @Test
    void stackTracesAndStrayLinesGoToTheLogFileAndTheTerminalShowsOnlyTheNarration() throws Exception {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream terminal = new ByteArrayOutputStream();
        PrintStream terminalStream = new PrintStream(terminal, true, StandardCharsets.UTF_8);
        System.setOut(terminalStream);
        System.setErr(terminalStream);
        try {
            DemoOutput narration = new DemoOutput(System.out, Clock.systemUTC()); // made before, as the demo's is
            Path file = dir.resolve("operator.log");
            try (OperatorLog log = OperatorLog.divert(file)) {
                narration.line("rollout  Healthy: revision 1a2b3c4d5e6f is stable and serves all traffic");
                new IllegalStateException("reconcile failed").printStackTrace();
                System.out.println("2026-01-01 00:00:00,000 WARN  [io.sluice.operator.LenientReads] ignoring spec.colour");
                Thread thread = Thread.ofPlatform().start(() -> {
                    throw new IllegalArgumentException("a thread died");
                });
                thread.join();
                narration.line("rollout  Aborted: canary 1a2b3c4d5e6f aborted");
                assertThat(log.file()).isEqualTo(file);
            }

            assertThat(terminal.toString(StandardCharsets.UTF_8).lines().map(l -> l.substring(l.indexOf("  ") + 2)))
                    .containsExactly("rollout  Healthy: revision 1a2b3c4d5e6f is stable and serves all traffic",
                            "rollout  Aborted: canary 1a2b3c4d5e6f aborted");
            assertThat(file).content().contains("java.lang.IllegalStateException: reconcile failed", "\tat ",
                    "WARN  [io.sluice.operator.LenientReads]", "java.lang.IllegalArgumentException: a thread died");
            assertThat(System.out).as("given back").isSameAs(terminalStream);
            assertThat(System.err).as("given back").isSameAs(terminalStream);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void quarkusLogsToTheFileAndNotToTheConsole() {
        Path file = dir.resolve("operator.log");
        assertThat(OperatorLog.quarkusSettings(file))
                .containsEntry("quarkus.log.console.enabled", "false")
                .containsEntry("quarkus.log.file.enabled", "true")
                .containsEntry("quarkus.log.file.path", file.toString());
    }
}
