package io.sluice.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/** Runs kubectl-sluice in-process, as a person would type it, with a kubeconfig file of its own. */
final class Cli {
    final Path kubeconfig;
    final Clock clock;

    Cli(Path kubeconfig, Clock clock) {
        this.kubeconfig = kubeconfig;
        this.clock = clock;
    }

    /** Writes a kubeconfig whose current context points at {@code server} with {@code namespace}. */
    static Path writeKubeconfig(Path dir, String server, String namespace) {
        Path file = dir.resolve("kubeconfig-" + System.nanoTime());
        String yaml = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: sandbox
                  cluster: {server: "%s"}
                users:
                - name: tester
                  user: {token: not-a-secret}
                contexts:
                - name: sandbox
                  context: {cluster: sandbox, user: tester, namespace: %s}
                - name: elsewhere
                  context: {cluster: sandbox, user: tester, namespace: elsewhere}
                current-context: sandbox
                """.formatted(server, namespace);
        try {
            Files.writeString(file, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    Result run(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        if (kubeconfig != null) {
            all.add("--kubeconfig=" + kubeconfig);
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SluiceCli.execute(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true),
                false, clock);
        return new Result(code, out.toString(), err.toString());
    }

    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }
}
