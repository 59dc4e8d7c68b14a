package io.sluice;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A newcomer's kubeconfig points at a cluster that is gone: the packaged operator says so in one
 * line, naming the cluster it tried and the sandbox, and exits 1; no stack trace.
 */
class StaleKubeconfigPackagedIT {
    private static final Path PROJECT_DIR = Path.of(System.getProperty("sluice.project.dir", ".")).toAbsolutePath();

    @TempDir
    Path dir;

    @Test
    void aKubeconfigPointingAtADeadAddressGivesOneLineSuggestingTheSandbox() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort(); // closed again: nothing listens there
        }
        String server = "https://127.0.0.1:" + port;
        Path kubeconfig = dir.resolve("kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: gone
                  cluster: {server: "%s", insecure-skip-tls-verify: true}
                users:
                - name: me
                  user: {token: not-a-real-token}
                contexts:
                - name: old-cluster
                  context: {cluster: gone, user: me, namespace: default}
                current-context: old-cluster
                """.formatted(server));
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = new ArrayList<>(List.of(java, "-Dsluice.project.dir=" + PROJECT_DIR));
        if (Runtime.version().feature() >= 24) {
            command.add("--sun-misc-unsafe-memory-access=allow"); // as ./sluice run does
        }
        command.addAll(List.of("-jar", PROJECT_DIR.resolve("target/quarkus-app/quarkus-run.jar").toString()));
        Path output = dir.resolve("output.log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(PROJECT_DIR.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile());
        builder.environment().put("KUBECONFIG", kubeconfig.toString());
        builder.environment().remove("KUBERNETES_SERVICE_HOST");
        Process process = builder.start();
        boolean exited = process.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();

        assertThat(exited).as("exited by itself; output: %s", lines).isTrue();
        assertThat(process.exitValue()).as("exit code; output: %s", lines).isEqualTo(1);
        assertThat(lines).as("one line, no stack trace").hasSize(1);
        assertThat(lines.getFirst()).contains(server).contains("old-cluster").contains("./sluice run --sandbox");
    }
}
