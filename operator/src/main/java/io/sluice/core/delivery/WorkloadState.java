package io.sluice.core.delivery;

/**
 * What the cluster shows of one of the Rollout's Deployments (stable or canary).
 *
 * @param revision          the Git commit it runs (from Sluice's annotation), null if unknown
 * @param templateHash      hash of the pod template Sluice derived it from
 * @param replicas          desired replicas
 * @param availableReplicas available replicas
 * @param rolledOut         the Deployment controller has observed the latest spec and updated every replica
 * @param images            the container images of its pod template, null if unknown
 */
public record WorkloadState(boolean exists, String revision, String templateHash, int replicas, int availableReplicas,
                            boolean rolledOut, java.util.List<String> images) {

    public static final WorkloadState ABSENT = new WorkloadState(false, null, null, 0, 0, false);

    public WorkloadState(boolean exists, String revision, String templateHash, int replicas, int availableReplicas,
                         boolean rolledOut) {
        this(exists, revision, templateHash, replicas, availableReplicas, rolledOut, null);
    }

    /** Fully rolled out and every desired replica available (and at least one). */
    public boolean available() {
        return exists && rolledOut && replicas > 0 && availableReplicas >= replicas;
    }

    public boolean runs(String rev) {
        return exists && rev != null && rev.equals(revision);
    }
}
