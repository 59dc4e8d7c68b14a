package io.sluice.docs;

import io.sluice.crd.CrdGeneration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The alert rules suggested in docs/operations.md are valid Prometheus rules and fire when they
 * should: promtool checks them and runs the unit tests in src/test/resources/docs/alerts-test.yaml.
 * (That their metric names exist is MetricsDocumentedTest's job.) promtool comes with Debian's
 * prometheus package, which {@code ./sluice test} installs; without it this test is skipped.
 */
class AlertRulesTest {

    @Test
    void suggestedAlertRulesAreValidAndFireWhenTheyShould(@TempDir Path dir) throws Exception {
        Path promtool = Path.of("/usr/bin/promtool");
        assumeTrue(Files.isExecutable(promtool), "promtool is not installed");
        Files.writeString(dir.resolve("sluice-alerts.yaml"), alertRules());
        Files.copy(CrdGeneration.projectDir().resolve("src/test/resources/docs/alerts-test.yaml"),
                dir.resolve("alerts-test.yaml"));

        assertThat(run(dir, promtool.toString(), "check", "rules", "sluice-alerts.yaml"))
                .contains("SUCCESS: 11 rules found");
        assertThat(run(dir, promtool.toString(), "test", "rules", "alerts-test.yaml")).contains("SUCCESS");
    }

    /** The YAML block of the "Suggested alerts" section. */
    private static String alertRules() throws IOException {
        String doc = Files.readString(CrdGeneration.projectDir().resolve("docs/operations.md"));
        int section = doc.indexOf("## Suggested alerts");
        assertThat(section).as("docs/operations.md has a 'Suggested alerts' section").isNotNegative();
        int start = doc.indexOf("```yaml\n", section) + "```yaml\n".length();
        return doc.substring(start, doc.indexOf("```", start));
    }

    private static String run(Path dir, String... command) throws Exception {
        Process process = new ProcessBuilder(List.of(command)).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("promtool finished").isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + " failed:\n" + output).isZero();
        return output;
    }
}
