package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;

@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonClassDescription("The desired delivery: where the manifests come from, which workload to deliver, how, and requests from people steering it.")
public class RolloutSpec {
    @Required
    @JsonPropertyDescription("Where the manifests of the application come from.")
    public Source source;

    @Required
    @JsonPropertyDescription("The workload, among the manifests from the source, that Sluice delivers progressively. "
            + "Sluice derives its stable and canary copies; do not write them by hand.")
    public WorkloadRef workloadRef;

    @Required
    @JsonPropertyDescription("How a new revision reaches users.")
    public Strategy strategy;

    @Min(1)
    @Default("600")
    @JsonPropertyDescription("Seconds a canary may take to become available (or a step to make progress) before the "
            + "rollout is aborted with reason ProgressDeadlineExceeded.")
    public Integer progressDeadlineSeconds;

    @JsonPropertyDescription("While true, the rollout stays at its current step and weight (kubectl sluice pause / "
            + "resume). A Git commit arriving meanwhile is recorded but not started.")
    public Boolean paused;

    @JsonPropertyDescription("Request to advance: past the current pause, or through all remaining steps with "
            + "full: true (kubectl sluice promote [--full]). Handled once per id.")
    public PromoteRequest promote;

    @JsonPropertyDescription("Request to abort the canary in flight: traffic goes 100% to stable at once and the "
            + "canary is scaled down (kubectl sluice abort). Handled once per id.")
    public ActionRequest abort;

    @JsonPropertyDescription("Request to start the aborted or rolled-back revision again from the first step "
            + "(kubectl sluice retry). Handled once per id.")
    public ActionRequest retry;

    @JsonPropertyDescription("Where to send notifications about this rollout, in addition to the operator-wide ones. "
            + "Sending never blocks or slows the rollout; failures are retried with backoff.")
    public java.util.List<NotificationTarget> notifications;

    public int progressDeadlineSecondsOrDefault() {
        return progressDeadlineSeconds != null ? progressDeadlineSeconds : Defaults.PROGRESS_DEADLINE_SECONDS;
    }

    public boolean pauseRequested() {
        return Boolean.TRUE.equals(paused);
    }
}
