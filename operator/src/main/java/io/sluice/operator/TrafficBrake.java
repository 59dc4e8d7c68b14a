package io.sluice.operator;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.sluice.api.v1alpha1.AnalysisPhase;
import io.sluice.api.v1alpha1.AnalysisRun;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutStatus;
import io.sluice.traffic.RoutingTarget;
import io.sluice.traffic.TrafficRouter;
import io.sluice.traffic.TrafficRoutingException;
import io.sluice.workload.Labels;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The short way back to stable. When an AnalysisRun's verdict turns Failed or Error, the AnalysisRun
 * reconciler engages the brake at once: the owning Rollout's managed routes go to 100 % stable
 * (written and read back) without waiting for the Rollout's own reconcile, which can be queued
 * behind thousands of others while a commit touches many Rollouts. That reconcile still does the
 * abort itself (status, event, notification, pinning the revision, the delayed scale-down); the
 * brake only moves traffic, and only ever towards stable.
 *
 * <p>A Rollout reconcile that looked at the analysis before the brake must not act after it (it
 * could raise the canary's weight again, or promote). So every Rollout reconcile notes the
 * Rollout's brake epoch before it observes anything, and performs its actions holding the read
 * side of the Rollout's lock, only if the epoch has not moved; the brake takes the write side (so it
 * waits for passes acting now), moves the epoch, then writes. Reconciles never wait for each other.
 * Locks and epochs are striped: a fixed memory cost whatever the number of Rollouts, at the price of
 * an occasional needless extra pass for a Rollout sharing a stripe with a braked one.
 */
@ApplicationScoped
public class TrafficBrake {
    private static final Logger LOG = Logger.getLogger(TrafficBrake.class);
    private static final int STRIPES = 1024;

    /** What engaging the brake did. */
    public enum Outcome {
        /** The managed routes carry 100 % stable, verified (written now, or already so). */
        ENGAGED,
        /**
         * The run is not the Rollout's current analysis, there is no canary, or the canary is past its
         * last step (promotion): nothing to do here.
         */
        NOT_CURRENT,
        /** The routes could not be written or read; the Rollout's own reconcile will abort as usual. */
        FAILED
    }

    /** The actions of one reconcile pass. */
    @FunctionalInterface
    public interface Actions {
        void perform() throws DeliveryExecutor.ActionFailedException;
    }

    private final KubernetesClient client;
    private final TrafficRouter router;
    /** The Rollout controller's cache, once it has started; the brake reads the owner from it, not with a GET. */
    private volatile IndexerResourceCache<Rollout> rollouts;
    private final ReentrantReadWriteLock[] locks = new ReentrantReadWriteLock[STRIPES];
    private final AtomicLongArray epochs = new AtomicLongArray(STRIPES);

    public TrafficBrake(KubernetesClient client, TrafficRouter router) {
        this.client = client;
        this.router = router;
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new ReentrantReadWriteLock();
        }
    }

    /**
     * Lets the brake read Rollouts from the Rollout controller's informer cache: one API call fewer on
     * the way back to stable, which counts while a wave of reconciles loads the API. The cache holds
     * what the operator wrote itself (status writes are handed to it); a person's spec edit may reach
     * it a watch event later, which changes nothing here, as the brake only ever moves traffic to stable.
     */
    void readRolloutsFrom(IndexerResourceCache<Rollout> cache) {
        this.rollouts = cache;
    }

    /** To be taken by a reconcile before it observes anything. */
    public long epoch(Rollout rollout) {
        return epochs.get(stripe(rollout.getMetadata().getNamespace(), rollout.getMetadata().getName()));
    }

    /**
     * Performs a reconcile's actions under the Rollout's lock, unless the brake was engaged since
     * {@code epoch}: then nothing is done and the answer is false (the pass must be repeated from a
     * fresh observation).
     */
    public boolean unlessEngagedSince(Rollout rollout, long epoch, Actions actions)
            throws DeliveryExecutor.ActionFailedException {
        int i = stripe(rollout.getMetadata().getNamespace(), rollout.getMetadata().getName());
        locks[i].readLock().lock(); // shared: reconciles of Rollouts on one stripe do not wait for each other
        try {
            if (epochs.get(i) != epoch) {
                return false;
            }
            actions.perform();
            return true;
        } finally {
            locks[i].readLock().unlock();
        }
    }

    /**
     * Sends the owning Rollout's traffic to stable because {@code run} ended {@code verdict} (Failed
     * or Error); see the class comment. Best effort: never throws, whatever goes wrong is logged and
     * left to the Rollout's reconcile.
     */
    public Outcome engage(AnalysisRun run, AnalysisPhase verdict) {
        String namespace = run.getMetadata().getNamespace();
        Optional<String> owner = owningRollout(run);
        if (owner.isEmpty()) {
            return Outcome.NOT_CURRENT;
        }
        int i = stripe(namespace, owner.get());
        locks[i].writeLock().lock(); // waits for passes acting now; later passes see the new epoch
        try {
            epochs.incrementAndGet(i);
            Rollout rollout = rollout(namespace, owner.get());
            if (rollout == null || !plannerWouldAbort(rollout, run.getMetadata().getName())) {
                return Outcome.NOT_CURRENT;
            }
            // No separate look at the current weight first: setWeight reads the VirtualService anyway and
            // writes nothing when it already routes everything to stable; every call counts under load.
            router.setWeight(target(rollout), 0);
            LOG.infof("Rollout %s/%s: analysis %s %s; traffic sent to stable ahead of the abort", namespace,
                    owner.get(), run.getMetadata().getName(), verdict.name().toLowerCase());
            return Outcome.ENGAGED;
        } catch (TrafficRoutingException | RuntimeException e) {
            LOG.warnf("Rollout %s/%s: could not send traffic to stable after analysis %s failed (%s); "
                    + "the Rollout's reconcile aborts the canary", namespace, owner.get(), run.getMetadata().getName(),
                    e.getMessage());
            return Outcome.FAILED;
        } finally {
            locks[i].writeLock().unlock();
        }
    }

    /**
     * Whether the Rollout's own reconcile will abort the canary for this run's failure, as far as its
     * spec and status tell; the brake moves traffic only then. Not when the run is not the current
     * step or background analysis (or the status does not name it yet); not once the canary is past
     * its last step (promotion may have begun: stable may already run the canary's template, and
     * "back to stable" would no longer mean the old version); not while a promote request is
     * pending (the planner takes it before looking at the step's analysis) or the Rollout is paused
     * (the planner decides nothing while paused).
     */
    private static boolean plannerWouldAbort(Rollout rollout, String runName) {
        RolloutStatus status = rollout.getStatus();
        var spec = rollout.getSpec();
        var steps = spec.strategy.canary.steps;
        if (status == null || status.currentStepIndex == null || steps == null || status.currentStepIndex >= steps.size()) {
            return false;
        }
        boolean promotePending = spec.promote != null && spec.promote.id != null && (status.handledRequests == null
                || !spec.promote.id.equals(status.handledRequests.promote));
        if (promotePending || Boolean.TRUE.equals(spec.paused)) {
            return false;
        }
        return isCurrentAnalysis(status, runName);
    }

    /** A read-only view (from the cache) or a fresh copy (before the cache has started). */
    private Rollout rollout(String namespace, String name) {
        IndexerResourceCache<Rollout> cache = rollouts;
        if (cache != null) {
            Optional<Rollout> cached = cache.get(new ResourceID(name, namespace));
            if (cached.isPresent()) {
                return cached.get();
            }
        }
        return client.resources(Rollout.class).inNamespace(namespace).withName(name).get();
    }

    private RoutingTarget target(Rollout rollout) {
        return RoutingTargets.of(client, rollout, Optional.empty());
    }

    private static boolean isCurrentAnalysis(RolloutStatus status, String runName) {
        return status != null && status.canaryRevision != null
                && (status.stepAnalysis != null && runName.equals(status.stepAnalysis.name)
                    || status.backgroundAnalysis != null && runName.equals(status.backgroundAnalysis.name));
    }

    private static Optional<String> owningRollout(AnalysisRun run) {
        return Optional.ofNullable(run.getMetadata().getOwnerReferences()).stream().flatMap(java.util.List::stream)
                .filter(r -> "Rollout".equals(r.getKind()) && Boolean.TRUE.equals(r.getController()))
                .map(OwnerReference::getName).findFirst()
                .or(() -> Optional.ofNullable(run.getMetadata().getLabels()).map(l -> l.get(Labels.ROLLOUT)));
    }

    private static int stripe(String namespace, String name) {
        return Math.floorMod(Objects.hash(namespace, name), STRIPES);
    }
}
