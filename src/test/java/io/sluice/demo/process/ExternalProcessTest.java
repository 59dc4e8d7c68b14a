package io.sluice.demo.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExternalProcessTest {

    @Test
    void aMissingProgramIsNamedInTheFailure() {
        assertThatThrownBy(() -> ExternalProcess.prepare("sluice-no-such-program"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'sluice-no-such-program' is not installed")
                .hasMessageContaining("/usr/sbin");
    }

    @Test
    void closeStopsTheProcessByPidAndDeletesItsDirectory() {
        ExternalProcess sleeper = ExternalProcess.prepare("sleep");
        Path workDir = sleeper.workDir();
        sleeper.start(List.of("60"));
        long pid = sleeper.pid();
        assertThat(ProcessHandle.of(pid)).hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());

        sleeper.close();

        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
        assertThat(workDir).doesNotExist();
    }

    @Test
    void theLogTailShowsWhatTheProgramWroteAndHowItEnded() throws Exception {
        try (ExternalProcess shell = ExternalProcess.prepare("sh")) {
            Files.writeString(shell.workDir().resolve("fail.sh"), "echo starting; echo 'bad config' >&2; exit 3\n");
            shell.start(List.of("fail.sh"));
            await().atMost(Duration.ofSeconds(5)).until(() -> !shell.isAlive());

            assertThat(shell.logTail()).contains("starting", "bad config", "exited with 3");
        }
    }
}
