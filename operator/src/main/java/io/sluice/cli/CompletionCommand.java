package io.sluice.cli;

import io.sluice.api.v1alpha1.Rollout;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.time.Clock;
import java.util.concurrent.Callable;

@Command(name = "completion", mixinStandardHelpOptions = true,
        header = "Print a shell completion script (bash; zsh through bashcompinit).",
        description = {"Prints a script that completes kubectl-sluice's commands and options. Load it in the shell, or "
                + "from ~/.bashrc or ~/.zshrc:",
                "",
                "  source <(kubectl sluice completion bash)",
                "  source <(kubectl sluice completion zsh)     # the bash script, through zsh's bashcompinit",
                "",
                "That completes `kubectl-sluice ...`. For `kubectl sluice ...`, kubectl 1.26 or newer asks the program "
                        + "kubectl_complete-sluice on PATH instead (it completes rollout names too): link "
                        + "bin/kubectl_complete-sluice next to kubectl-sluice.",
                ""})
final class CompletionCommand implements Callable<Integer> {
    enum Shell { bash, zsh }

    @ParentCommand
    SluiceCli cli;

    @Parameters(index = "0", paramLabel = "SHELL", description = "bash or zsh.")
    Shell shell;

    @Override
    public Integer call() {
        PrintWriter out = cli.spec.commandLine().getOut();
        if (shell == Shell.zsh) {
            out.println("autoload -U +X compinit && compinit");
            out.println("autoload -U +X bashcompinit && bashcompinit");
        }
        out.print(AutoComplete.bash("kubectl-sluice", cli.spec.commandLine()));
        out.flush();
        return 0;
    }

    /** The first argument that makes kubectl-sluice complete a command line instead of running it. */
    static final String COMPLETE = "__complete";
    /** The commands whose one parameter is a rollout's name. */
    private static final Set<String> TAKE_A_ROLLOUT = Set.of("status", "promote", "abort", "retry", "pause", "resume",
            "history");

    /**
     * What kubectl_complete-sluice runs for {@code kubectl sluice ...<TAB>}: {@code words} are those typed after
     * {@code sluice}, as typed (not parsed: -n and its value are words too), the last one the word being
     * completed (maybe empty). Prints the candidates, one a line, then {@code :4} (Cobra's "no file names"),
     * as kubectl expects of a plugin. A rollout's NAME is completed from the cluster, quietly giving none
     * when it cannot be reached.
     */
    static int complete(String[] words, PrintWriter out, Clock clock) {
        String[] args = words.length == 0 ? new String[] {""} : words;
        String current = args[args.length - 1];
        CommandSpec root = SluiceCli.commandLine(false, clock).getCommandSpec();
        List<CharSequence> suffixes = new ArrayList<>();
        AutoComplete.complete(root, args, args.length - 1, current.length(), current.length(), suffixes);
        // options once a "-" is typed, as kubectl does; otherwise commands, option values or rollout names
        List<String> candidates = new ArrayList<>(suffixes.stream().map(s -> current + s)
                .filter(c -> current.startsWith("-") || !c.startsWith("-")).sorted().toList());
        if (candidates.isEmpty() && !current.startsWith("-")) {
            candidates.addAll(rolloutNames(Arrays.asList(args).subList(0, args.length - 1), current, clock));
        }
        candidates.forEach(out::println);
        out.println(":4");
        out.flush();
        return 0;
    }

    /** Names of the rollouts starting with {@code prefix}, when it is the NAME of a command that takes one. */
    private static List<String> rolloutNames(List<String> before, String prefix, Clock clock) {
        if (before.stream().noneMatch(TAKE_A_ROLLOUT::contains)) {
            return List.of();
        }
        // Parse what was typed, with a stand-in for the word being completed, as the command would: that
        // finds -n, --context and --kubeconfig, and fails when a NAME was given already (one too many).
        CommandLine parser = SluiceCli.commandLine(false, clock);
        List<String> typed = new ArrayList<>(before);
        typed.add("stand-in");
        try {
            var parsed = parser.parseArgs(typed.toArray(String[]::new));
            if (parsed.subcommand() == null || !TAKE_A_ROLLOUT.contains(parsed.subcommand().commandSpec().name())) {
                return List.of();
            }
            SluiceCli options = parser.getCommand();
            try (Kube kube = options.connect()) {
                return kube.client.resources(Rollout.class).inNamespace(kube.namespace).list().getItems().stream()
                        .map(r -> r.getMetadata().getName()).filter(n -> n.startsWith(prefix)).sorted().toList();
            }
        } catch (RuntimeException e) {
            return List.of(); // half-typed options, no cluster: no names, and nothing printed on the terminal
        }
    }
}
