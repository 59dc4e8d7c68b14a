package io.sluice.cli;

import io.sluice.sandbox.SandboxApiServer;

import java.io.PrintWriter;
import java.io.StringWriter;
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

    /**
     * Writes a kubeconfig whose current context points at {@code server} with {@code namespace}, and whose
     * context {@code elsewhere} points at namespace {@code elsewhere}.
     */
    static Path writeKubeconfig(Path dir, String server, String namespace) {
        return SandboxApiServer.writeKubeconfig(dir.resolve("kubeconfig-" + System.nanoTime()), server, namespace,
                "elsewhere");
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
