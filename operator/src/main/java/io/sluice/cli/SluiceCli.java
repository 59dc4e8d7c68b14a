package io.sluice.cli;

import io.fabric8.kubernetes.client.KubernetesClientException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * {@code kubectl sluice}: watch and steer Sluice Rollouts from the command line. A plain program (no
 * Quarkus) that talks to the cluster of the current kubeconfig with the Fabric8 client.
 */
@Command(name = "kubectl-sluice",
        mixinStandardHelpOptions = true,
        versionProvider = SluiceCli.Version.class,
        header = "Watch and steer Sluice rollouts.",
        description = {
                "Shows a Rollout's progress (steps, traffic, analysis, events) and steers it with the "
                        + "requests the operator acts on (spec.promote, spec.abort, spec.retry, spec.paused). "
                        + "Uses the current kubeconfig and its namespace, like kubectl.", ""},
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {
                StatusCommand.class,
                ListCommand.class,
                SteerCommands.Promote.class,
                SteerCommands.Abort.class,
                SteerCommands.Retry.class,
                SteerCommands.Pause.class,
                SteerCommands.Resume.class,
                HistoryCommand.class,
                CompletionCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"", "Examples:",
                "  kubectl sluice list -A",
                "  kubectl sluice status checkout -n shop --watch",
                "  kubectl sluice promote checkout -n shop",
                "  kubectl sluice abort checkout -n shop",
                "  source <(kubectl sluice completion bash)"})
public final class SluiceCli implements Runnable {

    @Option(names = {"-n", "--namespace"}, scope = ScopeType.INHERIT, paramLabel = "NAMESPACE",
            description = "Namespace of the rollout (default: the namespace of the kubeconfig's context, else default).")
    String namespace;

    @Option(names = "--context", scope = ScopeType.INHERIT, paramLabel = "CONTEXT",
            description = "The kubeconfig context to use (default: its current context).")
    String context;

    @Option(names = "--kubeconfig", scope = ScopeType.INHERIT, paramLabel = "FILE",
            description = "Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).")
    Path kubeconfig;

    @Spec
    CommandSpec spec;

    /** Whether stdout is a terminal that may be redrawn in place. */
    final boolean terminal;
    final Clock clock;

    SluiceCli(boolean terminal, Clock clock) {
        this.terminal = terminal;
        this.clock = clock;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Connects as the options say. */
    Kube connect() {
        return Kube.connect(kubeconfig, context, namespace);
    }

    public static void main(String[] args) {
        quietLogging();
        boolean terminal = isTerminal();
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = execute(args, out, err, terminal, Clock.systemUTC());
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs one command line, writing to {@code out} and {@code err}; returns the exit code. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err, boolean terminal, Clock clock) {
        if (args.length > 0 && args[0].equals(CompletionCommand.COMPLETE)) {
            return CompletionCommand.complete(java.util.Arrays.copyOfRange(args, 1, args.length), out, clock);
        }
        CommandLine cli = commandLine(terminal, clock);
        cli.setOut(out);
        cli.setErr(err);
        return cli.execute(args);
    }

    static CommandLine commandLine(boolean terminal, Clock clock) {
        CommandLine cli = new CommandLine(new SluiceCli(terminal, clock));
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            err.println("Error: " + describe(e));
            err.flush();
            if (System.getenv("SLUICE_DEBUG") != null) {
                e.printStackTrace(err);
            }
            return e instanceof CliException c ? c.exitCode() : 1;
        });
        return cli;
    }

    /** One line a person can act on, for any failure: never a stack trace. */
    static String describe(Throwable e) {
        if (e instanceof CliException) {
            return e.getMessage();
        }
        if (e instanceof KubernetesClientException k) {
            return Kube.describe(k);
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
        return message;
    }

    /** Fabric8 and Vert.x log through JUL (or JBoss logging); a CLI prints only its own output. */
    private static void quietLogging() {
        LogManager.getLogManager().reset();
        Logger.getLogger("").setLevel(Level.OFF);
    }

    private static boolean isTerminal() {
        var console = System.console();
        if (console == null) {
            return false;
        }
        try { // Java 22+: a Console exists even when redirected; ask whether it is a terminal
            return (Boolean) console.getClass().getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = SluiceCli.class.getPackage().getImplementationVersion();
            return new String[] {"kubectl-sluice " + (version != null ? version : "(development build)"),
                    "Sluice API sluice.io/v1alpha1"};
        }
    }
}
