package io.sluice.cli;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sluice.api.v1alpha1.RevisionOutcome;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutStatus;
import io.sluice.workload.Labels;
import io.sluice.workload.WorkloadModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "history", mixinStandardHelpOptions = true,
        header = "Show the rollout's recent revisions and how each ended.",
        description = {"Newest first: the canary in flight, then the outcomes kept in status.history (Deployed, Promoted, "
                + "Applied, Superseded, Withdrawn, or why it was aborted or rolled back), with the images each revision ran "
                + "when known.", ""})
final class HistoryCommand implements Callable<Integer> {
    @ParentCommand
    SluiceCli cli;

    @Parameters(index = "0", paramLabel = "NAME", description = "Name of the rollout.")
    String name;

    @Override
    public Integer call() {
        PrintWriter out = cli.spec.commandLine().getOut();
        try (Kube kube = cli.connect()) {
            Rollout rollout = kube.rollout(name);
            RolloutStatus s = rollout.getStatus() != null ? rollout.getStatus() : new RolloutStatus();
            Instant now = cli.clock.instant();
            List<List<String>> rows = new ArrayList<>();
            boolean aborted = s.canaryRevision != null && s.abortedRevision != null
                    && s.canaryRevision.equals(s.abortedRevision.revision);
            if (s.canaryRevision != null && !aborted) {
                int steps = StatusView.steps(rollout).size();
                String where = s.currentStepIndex == null ? "" : s.currentStepIndex >= steps ? ", promoting"
                        : ", step " + (s.currentStepIndex + 1) + " of " + steps;
                rows.add(List.of(Text.revision(s.canaryRevision), "canary", "InProgress",
                        Text.age(s.stepStartTime, now), images(canaryImages(kube, rollout, s.canaryRevision)),
                        (s.phase == null ? "" : s.phase.name()) + where + ", canary weight "
                                + (s.canaryWeight == null ? 0 : s.canaryWeight) + "%"));
            }
            List<RevisionOutcome> history = s.history == null ? List.of() : s.history;
            for (RevisionOutcome o : history) {
                String role = o.revision != null && o.revision.equals(s.stableRevision) ? "stable" : "";
                rows.add(List.of(Text.revision(o.revision), role, Text.orNone(o.reason), Text.age(o.time, now), images(o.images),
                        o.message == null ? "" : o.message));
            }
            if (history.isEmpty() && s.abortedRevision != null && s.abortedRevision.revision != null) {
                // status written before the history existed: the last abort is still known
                RevisionOutcome o = s.abortedRevision;
                rows.add(List.of(Text.revision(o.revision), "", Text.orNone(o.reason), Text.age(o.time, now), images(o.images),
                        o.message == null ? "" : o.message));
            }
            if (history.isEmpty() && s.stableRevision != null
                    && rows.stream().noneMatch(r -> r.get(0).equals(Text.revision(s.stableRevision)))) {
                rows.add(List.of(Text.revision(s.stableRevision), "stable", "Stable", Text.NONE, Text.NONE, ""));
            }
            out.println("Rollout " + kube.namespace + "/" + name + ", newest first:");
            if (rows.isEmpty()) {
                out.println("  no revision yet (" + (s.message != null ? s.message : "not reconciled yet") + ")");
            } else {
                for (String line : Text.table(List.of("REVISION", "ROLE", "OUTCOME", "AGE", "IMAGE", "DETAILS"), rows)) {
                    out.println("  " + line);
                }
            }
            out.flush();
            return 0;
        }
    }

    private static String images(List<String> images) {
        return images == null || images.isEmpty() ? Text.NONE : String.join(", ", images);
    }

    /**
     * The images of the canary in flight, from its Deployment (the history records them only once it ends);
     * null when it cannot be read (not there yet, another revision, or no permission to read Deployments).
     */
    private static List<String> canaryImages(Kube kube, Rollout rollout, String revision) {
        if (rollout.getSpec() == null || rollout.getSpec().workloadRef == null || rollout.getSpec().workloadRef.name == null) {
            return null;
        }
        try {
            Deployment canary = kube.client.apps().deployments().inNamespace(kube.namespace)
                    .withName(WorkloadModel.deploymentName(rollout.getSpec().workloadRef.name, Labels.CANARY)).get();
            if (canary == null || !WorkloadModel.annotation(canary, Labels.REVISION).map(revision::equals).orElse(false)) {
                return null;
            }
            return WorkloadModel.images(canary);
        } catch (KubernetesClientException e) {
            return null;
        }
    }
}
