package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class RevisionOutcome {
    @JsonPropertyDescription("Git commit.")
    public String revision;

    @JsonPropertyDescription("Why it ended, in CamelCase: e.g. AbortRequested, AnalysisFailed, ProgressDeadlineExceeded.")
    public String reason;

    @JsonPropertyDescription("Details, e.g. the metric, its value and the condition it breached.")
    public String message;

    @JsonPropertyDescription("When it ended (RFC 3339).")
    public String time;

    @JsonPropertyDescription("The container images of its workload's pod template, in order, when known.")
    public List<String> images;

    @JsonPropertyDescription("Hash of what the revision deploys (the manifests under source.git.path), when known: a "
            + "later commit with the same content is this revision again.")
    public String content;

    @JsonPropertyDescription("Hash of its workload's pod template (with the names of the config copies its pods use), "
            + "when known: an aborted workload is not run again by a commit that changes only other objects.")
    public String templateHash;
}
