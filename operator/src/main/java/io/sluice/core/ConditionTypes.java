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
    /**
     * No other writer keeps changing the managed routes' weights: False (AnotherWriter) when Sluice had to set
     * them back repeatedly within a short window (a GitOps tool syncing weights from Git, a script); set only
     * once that happened, True again after a quiet window.
     */
    public static final String WEIGHTS_UNCONTESTED = "WeightsUncontested";

    /**
     * Whether a False condition of this type is a problem that stops the delivery (the Rollout is Degraded with its
     * message); WeightsUncontested only reports, as the weights are set back each time.
     */
    public static boolean stopsDelivery(String type) {
        return !WEIGHTS_UNCONTESTED.equals(type);
    }

    private ConditionTypes() {
    }
}
