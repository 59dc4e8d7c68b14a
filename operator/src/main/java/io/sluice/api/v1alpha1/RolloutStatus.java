package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.Min;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** All progress of a rollout. A restarted operator continues from here and from nothing else. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonClassDescription("Observed state and all progress of the rollout; a restarted operator continues from it.")
public class RolloutStatus {
    @JsonPropertyDescription("The metadata.generation this status was computed from.")
    public Long observedGeneration;

    @JsonPropertyDescription("Pending, Progressing, Paused, Healthy, Aborted or Degraded.")
    public RolloutPhase phase;

    @JsonPropertyDescription("One human-readable sentence on what is happening and why.")
    public String message;

    @JsonPropertyDescription("What was last read from the source.")
    public SourceStatus source;

    @JsonPropertyDescription("Git commit serving as stable.")
    public String stableRevision;

    @JsonPropertyDescription("Git commit running as canary, while one is in flight.")
    public String canaryRevision;

    @JsonPropertyDescription("Hash of what stable's revision deploys (the manifests under source.git.path). A newer "
            + "commit with the same content is the same revision: it changes nothing (status.source.revision names it).")
    public String stableContent;

    @JsonPropertyDescription("Hash of what the canary's revision deploys, while a canary is in flight.")
    public String canaryContent;

    @JsonPropertyDescription("A newer Git commit that changes only objects other than the canary's workload (its pod "
            + "template and the config its pods use): the canary in flight goes on, and this commit's objects are "
            + "applied when it is promoted.")
    public String heldRevision;

    @Min(0)
    @JsonPropertyDescription("Index of the canary step in progress, counted from 0 (status.step counts from 1); equal "
            + "to the number of steps once all are done.")
    public Integer currentStepIndex;

    @JsonPropertyDescription("The canary step in progress as a person counts it: 2/4 is the second of four (the Step "
            + "column of kubectl get rollouts). Set while a canary is in flight (the last step once all are done).")
    public String step;

    @Min(0)
    @Max(100)
    @JsonPropertyDescription("Percentage of traffic currently routed to the canary, as last written and verified.")
    public Integer canaryWeight;

    @Min(0)
    @Max(100)
    @JsonPropertyDescription("Percentage of traffic currently routed to stable.")
    public Integer stableWeight;

    @JsonPropertyDescription("When the current pause began (RFC 3339).")
    public String pauseStartTime;

    @JsonPropertyDescription("When the current step, or the wait for a version to become available, began "
            + "(RFC 3339); progressDeadlineSeconds counts from here.")
    public String stepStartTime;

    @JsonPropertyDescription("Git commit whose objects (everything but the workload) were last applied for stable; "
            + "a canary's new objects are added when it starts, and pruning waits for its promotion.")
    public String appliedRevision;

    @JsonPropertyDescription("Objects Sluice applied from Git, as group/version/Kind/name; those that disappear "
            + "from Git are deleted (and only those).")
    public List<String> inventory;

    @JsonPropertyDescription("Fields of this Rollout that this version of Sluice does not know, or whose value has the "
            + "wrong type, as paths (spec.strategy.canary.steps[0].intervall): they are ignored. A typo, or a field "
            + "of a newer Sluice (after a rollback of the operator).")
    public List<String> ignoredFields;

    @JsonPropertyDescription("The analysis of the current step, if it has one.")
    public AnalysisRunReference stepAnalysis;

    @JsonPropertyDescription("The background analysis of the rollout in flight, if it has one.")
    public AnalysisRunReference backgroundAnalysis;

    @JsonPropertyDescription("The last revision that was aborted or rolled back. It is not started again until a "
            + "newer commit arrives or a retry is requested.")
    public RevisionOutcome abortedRevision;

    @Size(max = Defaults.HISTORY_LIMIT)
    @JsonPropertyDescription("How the most recent revisions ended, newest first (at most 10): Deployed (the first), "
            + "Promoted, Applied (no canary needed), an abort or rollback reason, Superseded or Withdrawn "
            + "(kubectl sluice history).")
    public List<RevisionOutcome> history;

    @JsonPropertyDescription("Ids of the last promote, abort and retry requests acted on.")
    public HandledRequests handledRequests;

    @JsonPropertyDescription("Conditions following the Kubernetes API conventions: SourceReady, ReferencesResolved, "
            + "and more as delivery proceeds.")
    public List<Condition> conditions = new ArrayList<>();

    @Size(max = PendingNotification.LIMIT)
    @JsonPropertyDescription("Notifications not yet delivered, one per destination, oldest first (at most 20): kept "
            + "here so that none is lost on an operator restart; each is removed once delivered or given up on.")
    public List<PendingNotification> pendingNotifications;

    public Optional<Condition> condition(String type) {
        return conditions == null ? Optional.empty()
                : conditions.stream().filter(c -> type.equals(c.type)).findFirst();
    }
}
