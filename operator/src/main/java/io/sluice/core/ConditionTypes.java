package io.sluice.core;

/** The condition types Sluice sets on a Rollout. */
public final class ConditionTypes {
    /** The Git source was fetched and its manifests at the tracked ref parsed. */
    public static final String SOURCE_READY = "SourceReady";
    /** Everything the Rollout names exists: analysis templates, the workload, the VirtualService and its routes. */
    public static final String REFERENCES_RESOLVED = "ReferencesResolved";
    /**
     * Every object Sluice would write for the Rollout is new or already the Rollout's: False (ObjectNotOwned)
     * when one belongs to another team or Rollout, and then nothing of that revision is applied.
     */
    public static final String OBJECTS_OWNED = "ObjectsOwned";

    private ConditionTypes() {
    }
}
