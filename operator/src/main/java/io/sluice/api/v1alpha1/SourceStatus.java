package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.Objects;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class SourceStatus {
    @JsonPropertyDescription("Commit the tracked ref pointed at when last fetched.")
    public String revision;

    @JsonPropertyDescription("The ref as resolved, e.g. refs/heads/main.")
    public String resolvedRef;

    public SourceStatus() {
    }

    public SourceStatus(String revision, String resolvedRef) {
        this.revision = revision;
        this.resolvedRef = resolvedRef;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SourceStatus s && Objects.equals(revision, s.revision)
                && Objects.equals(resolvedRef, s.resolvedRef);
    }

    @Override
    public int hashCode() {
        return Objects.hash(revision, resolvedRef);
    }
}
