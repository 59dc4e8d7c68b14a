package io.sluice.workload;

/** Labels and annotations Sluice puts on what it creates and applies. */
public final class Labels {
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGER = "sluice";
    /** The Rollout an object belongs to. */
    public static final String ROLLOUT = "sluice.io/rollout";
    /** stable or canary, on Sluice's Deployments, their pods and their Services' selectors. */
    public static final String ROLE = "sluice.io/role";
    public static final String STABLE = "stable";
    public static final String CANARY = "canary";
    /** The Git commit an object was applied from. */
    public static final String REVISION = "sluice.io/revision";
    /** Hash of the pod template a Deployment was derived from. */
    public static final String TEMPLATE_HASH = "sluice.io/template-hash";
    /**
     * On a live object that Sluice did not create: the name of the Rollout in its namespace that may
     * take it over (update it, and prune it once it leaves Git). Set by the object's owner, by hand.
     */
    public static final String ADOPT = "sluice.io/adopt";

    private Labels() {
    }
}
