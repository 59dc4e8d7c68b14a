package io.sluice.cli;

import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true,
        header = "List rollouts: phase, canary weight, step, stable and canary revisions, age.")
final class ListCommand implements Callable<Integer> {
    @ParentCommand
    SluiceCli cli;

    @Option(names = {"-A", "--all-namespaces"}, description = "List the rollouts of every namespace.")
    boolean allNamespaces;

    @Mixin
    Output.Mixin output;

    @Override
    public Integer call() {
        PrintWriter out = cli.spec.commandLine().getOut();
        PrintWriter err = cli.spec.commandLine().getErr();
        try (Kube kube = cli.connect()) {
            if (output.format != null) {
                var rollouts = allNamespaces ? kube.client.genericKubernetesResources(Output.ROLLOUTS).inAnyNamespace().list()
                        : kube.client.genericKubernetesResources(Output.ROLLOUTS).inNamespace(kube.namespace).list();
                out.print(Output.render(output.format, Output.list(rollouts.getItems())));
                out.flush();
                return 0;
            }
            List<Rollout> rollouts = new ArrayList<>(allNamespaces
                    ? kube.client.resources(Rollout.class).inAnyNamespace().list().getItems()
                    : kube.client.resources(Rollout.class).inNamespace(kube.namespace).list().getItems());
            if (rollouts.isEmpty()) {
                err.println(allNamespaces ? "No rollouts found." : "No rollouts found in namespace \"" + kube.namespace + "\".");
                err.flush();
                return 0;
            }
            rollouts.sort(Comparator.comparing((Rollout r) -> r.getMetadata().getNamespace())
                    .thenComparing(r -> r.getMetadata().getName()));
            Instant now = cli.clock.instant();
            List<String> header = new ArrayList<>(List.of("NAME", "PHASE", "WEIGHT", "STEP", "STABLE", "CANARY", "AGE"));
            if (allNamespaces) {
                header.addFirst("NAMESPACE");
            }
            List<List<String>> rows = new ArrayList<>();
            for (Rollout r : rollouts) {
                RolloutStatus s = r.getStatus() != null ? r.getStatus() : new RolloutStatus();
                int steps = StatusView.steps(r).size();
                List<String> row = new ArrayList<>(List.of(
                        r.getMetadata().getName(),
                        s.phase == null ? Text.NONE : s.phase.name(),
                        s.canaryWeight == null ? Text.NONE : s.canaryWeight + "%",
                        s.canaryRevision == null || s.currentStepIndex == null ? Text.NONE
                                : Math.min(s.currentStepIndex + 1, steps) + "/" + steps,
                        Text.revision(s.stableRevision),
                        Text.revision(s.canaryRevision),
                        Text.age(r.getMetadata().getCreationTimestamp(), now)));
                if (allNamespaces) {
                    row.addFirst(r.getMetadata().getNamespace());
                }
                rows.add(row);
            }
            Text.table(header, rows).forEach(out::println);
            out.flush();
            for (Rollout r : rollouts) {
                List<String> ignored = StatusView.ignoredFields(r);
                if (!ignored.isEmpty()) {
                    err.println("Warning: rollout " + r.getMetadata().getNamespace() + "/" + r.getMetadata().getName()
                            + " has fields Sluice does not know, which are ignored: " + String.join(", ", ignored));
                }
            }
            err.flush();
            return 0;
        }
    }
}
