package io.sluice.operator;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.sluice.api.v1alpha1.AnalysisPhase;
import io.sluice.api.v1alpha1.AnalysisRun;
import io.sluice.api.v1alpha1.AnalysisTemplateRef;
import io.sluice.api.v1alpha1.AnalysisTemplateSpec;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.GitSource;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.api.v1alpha1.RolloutSpec;
import io.sluice.api.v1alpha1.RolloutStatus;
import io.sluice.config.SluiceConfig;
import io.sluice.core.Durations;
import io.sluice.core.Problem;
import io.sluice.core.ReferenceCheck;
import io.sluice.core.RolloutEvent;
import io.sluice.core.SpecCheck;
import io.sluice.core.ValidationPlanner;
import io.sluice.core.ValidationPlanner.SourceOutcome;
import io.sluice.core.delivery.DeliveryPlan;
import io.sluice.core.delivery.DeliveryPlanner;
import io.sluice.core.delivery.Observation;
import io.sluice.manifest.InvalidManifestException;
import io.sluice.notify.Destination;
import io.sluice.notify.Notification;
import io.sluice.notify.NotificationKind;
import io.sluice.notify.Notifier;
import io.sluice.manifest.Manifest;
import io.sluice.manifest.ManifestRules;
import io.sluice.manifest.ManifestSet;
import io.sluice.operator.DeliveryExecutor.RevisionContent;
import io.sluice.source.GitCredentials;
import io.sluice.source.GitPushed;
import io.sluice.source.RepositoryUrls;
import io.sluice.source.GitRequest;
import io.sluice.source.GitSnapshot;
import io.sluice.source.SourceException;
import io.sluice.traffic.RoutingTarget;
import io.sluice.workload.Labels;
import io.sluice.workload.WorkloadModel;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reconciles a Rollout in three moves: observe (the Git source, what the Rollout refers to, the
 * live Deployments), decide ({@link ValidationPlanner} for the conditions, {@link DeliveryPlanner}
 * for the canary), act ({@link DeliveryExecutor}) and only then write the status. When an action
 * fails, the progress in status stays where it was and the failure is reported.
 */
@ControllerConfiguration(name = "rollout")
public class RolloutReconciler implements Reconciler<Rollout> {
    private static final Logger LOG = Logger.getLogger(RolloutReconciler.class);
    private static final Duration CONFLICT_RETRY = Duration.ofSeconds(1);

    private final KubernetesClient client;
    private final io.sluice.source.GitSource git;
    private final StatusWriter statusWriter;
    private final EventRecorder events;
    private final DeliveryExecutor executor;
    private final DeliveryPlanner planner;
    private final SluiceConfig config;
    private final Clock clock;

    private final RolloutMetrics metrics;
    private final Notifier notifier;
    private final ClusterSecrets secrets;
    private final TrafficBrake brake;
    private final RepositoryPoller poller;
    /** The drift corrections of each Rollout, to tell a fight with another writer from a one-off edit. */
    private final WeightFights fights = new WeightFights();
    /** Parsed manifests shared by the Rollouts reading the same revision (and by their every reconcile). */
    private volatile io.sluice.net.OutboundPolicy outboundPolicy;
    private final io.sluice.manifest.ParsedRevisions parsedRevisions;
    /** What each commit's path deploys, hashed: the revision's identity. */
    private final io.sluice.manifest.ContentHash contentHashes = new io.sluice.manifest.ContentHash();

    public RolloutReconciler(KubernetesClient client, io.sluice.source.GitSource git, StatusWriter statusWriter,
            EventRecorder events, DeliveryExecutor executor, TrafficBrake brake, RepositoryPoller poller,
            RolloutMetrics metrics, Notifier notifier, SluiceConfig config, Clock clock) {
        this.client = client;
        this.brake = brake;
        this.poller = poller;
        this.metrics = metrics;
        this.notifier = notifier;
        this.secrets = new ClusterSecrets(client);
        this.git = git;
        this.statusWriter = statusWriter;
        this.events = events;
        this.executor = executor;
        this.planner = new DeliveryPlanner(config.timerResolution());
        this.config = config;
        this.parsedRevisions = io.sluice.manifest.ParsedRevisions.of(config.git());
        this.clock = clock;
    }

    /** Wakes the Rollouts of a repository when its push webhook arrives. */
    private final SimpleInboundEventSource<Rollout> pushes = new SimpleInboundEventSource<>("git-pushes");
    private volatile IndexerResourceCache<Rollout> rollouts;

    /**
     * Deployments Sluice created wake their Rollout when they change (e.g. become available);
     * a push to a repository wakes the Rollouts that read it.
     */
    @Override
    public List<EventSource<?, Rollout>> prepareEventSources(EventSourceContext<Rollout> context) {
        rollouts = context.getPrimaryCache();
        brake.readRolloutsFrom(rollouts);
        poller.attach(() -> context.getPrimaryCache().list(), r -> pushes.propagateEvent(ResourceID.fromResource(r)));
        metrics.watch(() -> context.getPrimaryCache().list());
        var deployments = InformerEventSourceConfiguration.from(Deployment.class, Rollout.class)
                .withName("deployments")
                .withLabelSelector(Labels.MANAGED_BY + "=" + Labels.MANAGER)
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(Rollout.class))
                .build();
        var analysisRuns = InformerEventSourceConfiguration.from(AnalysisRun.class, Rollout.class)
                .withName("analysisruns")
                .withLabelSelector(Labels.MANAGED_BY + "=" + Labels.MANAGER)
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(Rollout.class))
                .build();
        List<EventSource<?, Rollout>> sources = new ArrayList<>(
                List.of(new InformerEventSource<>(deployments, context), new InformerEventSource<>(analysisRuns, context), pushes));
        virtualServices(context).ifPresent(sources::add);
        return sources;
    }

    /**
     * VirtualServices wake the Rollouts that manage them (spec.strategy.canary.trafficRouting.istio.virtualService,
     * same namespace) when their spec changes, so that a hand edit of the managed weights is set back at once
     * rather than at the next step or resync. A VirtualService from Git or from the cluster need not carry
     * Sluice's labels, so this watch has no label selector: it lists and caches every VirtualService of the
     * watched namespaces (memory in proportion to them; one reconcile per Rollout for the initial list, then one
     * per spec change of a managed VirtualService; status- and metadata-only updates, such as Istio's own status
     * writes, are ignored). Sluice's own weight writes wake the Rollout too; that reconcile finds the weights
     * as status says and writes nothing.
     * <p>
     * Registered only when the cluster serves Istio's {@code networking.istio.io/v1} VirtualService: an informer
     * on an absent API would keep the operator from starting. Without it, drift is still set back at every
     * reconcile (the resync at the latest).
     */
    private Optional<EventSource<?, Rollout>> virtualServices(EventSourceContext<Rollout> context) {
        String apiVersion = "networking.istio.io/v1";
        try {
            var served = client.getApiResources(apiVersion);
            if (served == null || served.getResources() == null
                    || served.getResources().stream().noneMatch(r -> VIRTUAL_SERVICES.equals(r.getName()))) {
                LOG.warnf("the cluster does not serve Istio's %s VirtualService: not watching VirtualServices; a hand edit "
                        + "of the managed weights is set back at the Rollout's next reconcile (sluice.resync-interval at "
                        + "the latest), not at once; restart the operator after installing Istio", apiVersion);
                return Optional.empty();
            }
        } catch (KubernetesClientException e) {
            LOG.warnf("could not tell whether the cluster serves Istio's %s VirtualService (%s): not watching VirtualServices; "
                    + "a hand edit of the managed weights is set back at the Rollout's next reconcile", apiVersion, e.getMessage());
            return Optional.empty();
        }
        context.getPrimaryCache().addIndexer(BY_VIRTUAL_SERVICE, r -> managedVirtualService(r).map(List::of).orElse(List.of()));
        var configuration = InformerEventSourceConfiguration
                .from(new io.javaoperatorsdk.operator.processing.GroupVersionKind("networking.istio.io", "v1", "VirtualService"),
                        Rollout.class)
                .withName(VIRTUAL_SERVICES)
                .withSecondaryToPrimaryMapper(vs -> context.getPrimaryCache()
                        .byIndex(BY_VIRTUAL_SERVICE, vs.getMetadata().getNamespace() + "/" + vs.getMetadata().getName())
                        .stream().map(ResourceID::fromResource).collect(java.util.stream.Collectors.toSet()))
                .withOnUpdateFilter((updated, before) -> !Objects.equals(
                        updated.getAdditionalProperties().get("spec"), before.getAdditionalProperties().get("spec")))
                .build();
        LOG.infof("watching Istio VirtualServices (%s) in the watched namespaces: an edit of a managed one wakes its Rollout",
                apiVersion);
        return Optional.of(new InformerEventSource<>(configuration, context));
    }

    private static final String VIRTUAL_SERVICES = "virtualservices";
    private static final String BY_VIRTUAL_SERVICE = "by-virtualservice";

    /** namespace/name of the VirtualService a Rollout manages, when it names one. */
    static Optional<String> managedVirtualService(Rollout rollout) {
        RolloutSpec spec = rollout.getSpec();
        if (spec == null || spec.strategy == null || spec.strategy.canary == null || spec.strategy.canary.trafficRouting == null
                || spec.strategy.canary.trafficRouting.istio == null || spec.strategy.canary.trafficRouting.istio.virtualService == null
                || spec.strategy.canary.trafficRouting.istio.virtualService.name == null) {
            return Optional.empty();
        }
        return Optional.of(rollout.getMetadata().getNamespace() + "/" + spec.strategy.canary.trafficRouting.istio.virtualService.name);
    }

    void onPush(@Observes GitPushed pushed) {
        IndexerResourceCache<Rollout> cache = rollouts;
        if (cache == null) {
            return;
        }
        poller.pushed(pushed.normalizedUrls()); // the readers are woken here; the poller need not wake them again
        cache.list()
                .filter(r -> r.getSpec() != null && r.getSpec().source != null && r.getSpec().source.git != null
                        && r.getSpec().source.git.url != null
                        && pushed.normalizedUrls().contains(RepositoryUrls.normalize(r.getSpec().source.git.url)))
                .forEach(r -> pushes.propagateEvent(ResourceID.fromResource(r)));
    }

    @Override
    public UpdateControl<Rollout> reconcile(Rollout rollout, Context<Rollout> context) {
        try {
            return reconcileOrThrow(rollout, context);
        } catch (KubernetesClientException e) {
            if (e.getCode() == java.net.HttpURLConnection.HTTP_CONFLICT) {
                return UpdateControl.<Rollout>noUpdate().rescheduleAfter(CONFLICT_RETRY);
            }
            return reportUnexpected(rollout, e, context);
        } catch (RuntimeException e) {
            return reportUnexpected(rollout, e, context);
        }
    }

    /**
     * Something no check foresaw: the Rollout is reported Degraded with the error, its progress in
     * status untouched, and looked at again soon, rather than left to the framework's retries.
     */
    private UpdateControl<Rollout> reportUnexpected(Rollout rollout, RuntimeException e, Context<Rollout> context) {
        LOG.errorf(e, "Rollout %s/%s: reconcile failed", rollout.getMetadata().getNamespace(), rollout.getMetadata().getName());
        RolloutStatus status = rollout.getStatus() == null ? new RolloutStatus()
                : client.getKubernetesSerialization().clone(rollout.getStatus());
        status.phase = RolloutPhase.Degraded;
        status.message = "reconcile failed: " + e.getClass().getSimpleName() + ": " + e.getMessage();
        List<RolloutEvent> events = Objects.equals(status.message, rollout.getStatus() == null ? null : rollout.getStatus().message)
                ? List.of() : List.of(RolloutEvent.warning("ReconcileFailed", status.message));
        try {
            return write(rollout, status, events, Optional.of(config.retryInterval()), context);
        } catch (RuntimeException writeFailed) {
            return UpdateControl.<Rollout>noUpdate().rescheduleAfter(config.retryInterval());
        }
    }

    private UpdateControl<Rollout> reconcileOrThrow(Rollout rollout, Context<Rollout> context) {
        String namespace = rollout.getMetadata().getNamespace();
        RolloutSpec spec = rollout.getSpec();
        List<Problem> specProblems = SpecCheck.problems(spec);
        if (!specProblems.isEmpty()) {
            var plan = ValidationPlanner.plan(rollout, SourceOutcome.failed(specProblems.getFirst()),
                    specProblems.subList(1, specProblems.size()), clock.instant());
            return write(rollout, plan.status(), plan.events(), Optional.of(config.retryInterval()), context);
        }

        long brakeEpoch = brake.epoch(rollout); // before anything is observed: see TrafficBrake
        TemplateProblems templates = templateProblems(spec, namespace);
        Observed observed = observeSource(rollout, templates);
        var validation = ValidationPlanner.plan(rollout, observed.source(), observed.referenceProblems(), clock.instant());
        RolloutStatus validated = validation.status();

        Optional<RevisionContent> desired = observed.content().map(c -> asKnownRevision(c, rollout.getStatus()));
        var observation = new Observation(
                desired.map(c -> new Observation.DesiredRevision(c.revision(), WorkloadModel.templateHash(c.workload()),
                        WorkloadModel.images(c.workload()), c.contentHash())),
                executor.observe(rollout, Labels.STABLE), executor.observe(rollout, Labels.CANARY), clock.instant(),
                analysisRuns(rollout),
                concat(ReferenceCheck.problemsWithTemplates(templates.missing(), namespace), templates.duplicateMetrics())
                        .stream().findFirst().map(Problem::message));
        DeliveryPlan plan = planner.plan(rollout.getMetadata().getName(), spec, validated, observation);

        List<RolloutEvent> toRecord = new ArrayList<>(validation.events());
        RolloutStatus next = plan.status();
        Optional<Duration> requeue = plan.requeueAfter();
        try {
            int weightBefore = Optional.ofNullable(validated.canaryWeight).orElse(0);
            var actionContext = new DeliveryExecutor.Context(rollout, desired,
                    RoutingTargets.of(client, rollout, desired.flatMap(c -> c.workloadServices().stream()
                            .map(sv -> sv.getMetadata().getName()).findFirst())), weightBefore, validated.inventory);
            var inventory = new java.util.concurrent.atomic.AtomicReference<List<String>>();
            var drift = new java.util.concurrent.atomic.AtomicReference<Optional<Integer>>(Optional.empty());
            boolean setsWeight = plan.actions().stream().anyMatch(a -> a instanceof io.sluice.core.delivery.Action.SetCanaryWeight);
            Integer expectedWeight = plan.status().canaryWeight;
            boolean checkDrift = !setsWeight && expectedWeight != null && plan.status().stableRevision != null;
            boolean acted = brake.unlessEngagedSince(rollout, brakeEpoch, () -> {
                inventory.set(executor.execute(plan.actions(), actionContext));
                if (checkDrift) {
                    drift.set(executor.correctWeightDrift(actionContext, expectedWeight));
                }
            });
            if (!acted) {
                LOG.debugf("Rollout %s/%s: an analysis failed while this pass was deciding; deciding again",
                        namespace, rollout.getMetadata().getName());
                return UpdateControl.<Rollout>noUpdate().reschedule(); // at once, from a fresh observation
            }
            next.inventory = inventory.get(); // null when nothing was ever applied
            if (next.condition(io.sluice.core.ConditionTypes.OBJECTS_OWNED).filter(c -> !c.isTrue()).isPresent()) {
                next.conditions = io.sluice.core.Conditions.with(next.conditions, io.sluice.core.ConditionTypes.OBJECTS_OWNED,
                        io.sluice.api.v1alpha1.Condition.TRUE, "Owned", "every object Sluice writes for this Rollout is its own",
                        generation(rollout), clock.instant());
            }
            toRecord.addAll(plan.events());
            next.conditions = reportWeightDrift(rollout, drift.get(), expectedWeight, next.conditions, toRecord);
            if (next.condition(io.sluice.core.ConditionTypes.WEIGHTS_UNCONTESTED).filter(c -> !c.isTrue()).isPresent()) {
                requeue = Optional.of(requeue.filter(r -> r.compareTo(WeightFights.WINDOW) < 0).orElse(WeightFights.WINDOW));
            }
        } catch (DeliveryExecutor.ActionFailedException e) {
            LOG.warnf("Rollout %s/%s: %s", namespace, rollout.getMetadata().getName(), e.getMessage());
            next = validated;
            next.phase = RolloutPhase.Degraded;
            next.message = e.getMessage();
            if (e.reason().equals("ObjectNotOwned")) {
                next.conditions = io.sluice.core.Conditions.with(next.conditions, io.sluice.core.ConditionTypes.OBJECTS_OWNED,
                        io.sluice.api.v1alpha1.Condition.FALSE, e.reason(), e.getMessage(), generation(rollout), clock.instant());
            }
            if (rollout.getStatus() == null || !e.getMessage().equals(rollout.getStatus().message)) {
                toRecord.add(RolloutEvent.warning(e.reason(), e.getMessage())); // once, not on every retry
            }
            requeue = Optional.of(config.retryInterval());
        }
        if (validation.problem().isPresent() && next.phase != RolloutPhase.Aborted) {
            // A problem with the source or the references is what a reader must see first. Only a
            // problem found now: the phase inherited from the last status may be the delivery
            // planner's own Degraded (stable short of pods), which the planner re-decides each pass.
            next.phase = RolloutPhase.Degraded;
            next.message = validation.problem().get() + whoServes(next);
        }
        // New commits are the poller's to notice (RepositoryPoller); a Rollout with nothing to wait for
        // is looked at again only as a safety net.
        Duration poll = resyncInterval(rollout);
        if (observed.source().problem().isPresent() || !observed.referenceProblems().isEmpty()) {
            poll = config.retryInterval();
        }
        Duration finalPoll = poll;
        return write(rollout, next, toRecord, Optional.of(requeue.map(r -> r.compareTo(finalPoll) < 0 ? r : finalPoll).orElse(poll)),
                context);
    }

    /**
     * A correction of the managed weights is a Warning event; the {@value WeightFights#THRESHOLD}th within
     * {@link WeightFights#WINDOW} says that another writer keeps changing them and sets the WeightsUncontested
     * condition False (AnotherWriter), which turns True again once a window has passed without a correction.
     */
    private List<io.sluice.api.v1alpha1.Condition> reportWeightDrift(Rollout rollout, Optional<Integer> found,
            Integer expected, List<io.sluice.api.v1alpha1.Condition> conditions, List<RolloutEvent> toRecord) {
        String namespace = rollout.getMetadata().getNamespace();
        String name = rollout.getMetadata().getName();
        ResourceID id = ResourceID.fromResource(rollout);
        java.time.Instant now = clock.instant();
        String virtualService = rollout.getSpec().strategy.canary.trafficRouting.istio.virtualService.name;
        var contested = conditions == null ? Optional.<io.sluice.api.v1alpha1.Condition>empty() : conditions.stream()
                .filter(c -> io.sluice.core.ConditionTypes.WEIGHTS_UNCONTESTED.equals(c.type)).findFirst();
        if (found.isEmpty()) {
            boolean quiet = fights.recent(id, now) == 0 && contested.filter(c -> !c.isTrue())
                    .map(c -> c.lastTransitionTime == null || !java.time.Instant.parse(c.lastTransitionTime)
                            .plus(WeightFights.WINDOW).isAfter(now)).orElse(false);
            return !quiet ? conditions : io.sluice.core.Conditions.with(conditions, io.sluice.core.ConditionTypes.WEIGHTS_UNCONTESTED,
                    io.sluice.api.v1alpha1.Condition.TRUE, "NoOtherWriter", "no other writer changed the managed weights of "
                            + "VirtualService " + virtualService + " in the last " + WeightFights.WINDOW_TEXT,
                    generation(rollout), now);
        }
        int times = fights.corrected(id, now);
        String message = "VirtualService " + virtualService + "'s managed routes carried " + found.get()
                + "% to the canary, written by another writer; set back to " + expected
                + "% (Sluice owns these weights while it manages the Rollout)";
        if (times < WeightFights.THRESHOLD) {
            LOG.warnf("Rollout %s/%s: the VirtualService carried canary weight %d%%, not %d%%; set back",
                    namespace, name, found.get(), expected);
            toRecord.add(RolloutEvent.warning("WeightDriftCorrected", message));
            return conditions;
        }
        String fight = "VirtualService " + virtualService + ": another writer keeps changing the managed weights (set back "
                + times + " times in the last " + WeightFights.WINDOW_TEXT + ", last from " + found.get() + "% to "
                + expected + "%): Sluice and it are fighting over the traffic split. Find it in the object's "
                + "managedFields (kubectl get virtualservice " + virtualService + " --show-managed-fields -o yaml); a GitOps "
                + "tool must ignore the weights of the managed routes";
        LOG.warnf("Rollout %s/%s: %s", namespace, name, fight);
        toRecord.add(RolloutEvent.warning("WeightDriftCorrected", message + "; " + fight.substring(fight.indexOf("another writer"))));
        return io.sluice.core.Conditions.with(conditions, io.sluice.core.ConditionTypes.WEIGHTS_UNCONTESTED,
                io.sluice.api.v1alpha1.Condition.FALSE, "AnotherWriter", fight, generation(rollout), now);
    }

    /**
     * A revision's identity is what it deploys, not the commit: a commit that deploys the same as stable,
     * the canary in flight or the aborted canary (a README changed elsewhere, a comment) is that revision,
     * under the commit it was first seen at, and changes nothing. status.source.revision names the newest commit.
     */
    static RevisionContent asKnownRevision(RevisionContent read, RolloutStatus status) {
        if (status == null || read.contentHash() == null) {
            return read;
        }
        if (status.stableRevision != null && read.contentHash().equals(status.stableContent)) {
            return read.as(status.stableRevision);
        }
        if (status.canaryRevision != null && read.contentHash().equals(status.canaryContent)) {
            return read.as(status.canaryRevision);
        }
        if (status.abortedRevision != null && status.abortedRevision.revision != null
                && read.contentHash().equals(status.abortedRevision.content)) {
            return read.as(status.abortedRevision.revision);
        }
        return read;
    }

    private static long generation(Rollout rollout) {
        return Optional.ofNullable(rollout.getMetadata().getGeneration()).orElse(0L);
    }

    /** Who serves users while a problem stops the Rollout, said as it is: the canary may still have traffic. */
    private static String whoServes(RolloutStatus status) {
        if (status.stableRevision == null) {
            return "";
        }
        String stable = ValidationPlanner.shortRevision(status.stableRevision);
        int canaryWeight = Optional.ofNullable(status.canaryWeight).orElse(0);
        if (status.canaryRevision == null || status.abortedRevision != null
                && status.canaryRevision.equals(status.abortedRevision.revision)) {
            return "; stable " + stable + " keeps serving";
        }
        String canary = ValidationPlanner.shortRevision(status.canaryRevision);
        return canaryWeight == 0
                ? "; canary " + canary + " is held at 0% until this is resolved, stable " + stable + " serves all traffic"
                : "; canary " + canary + " keeps " + canaryWeight + "% of traffic, stable " + stable + " the rest";
    }

    /**
     * The resync interval, shortened by up to a tenth by a fixed amount per Rollout, so that Rollouts
     * synced together (at startup, after one commit) do not all come back in the same second.
     */
    private Duration resyncInterval(Rollout rollout) {
        Duration full = config.resyncInterval();
        int spread = Math.floorMod(Objects.hash(rollout.getMetadata().getNamespace(), rollout.getMetadata().getName()), 1000);
        return full.minus(full.dividedBy(10).multipliedBy(spread).dividedBy(1000));
    }

    private UpdateControl<Rollout> write(Rollout rollout, RolloutStatus status, List<RolloutEvent> toRecord,
            Optional<Duration> requeue, Context<Rollout> context) {
        List<String> ignored = io.sluice.api.UnknownFields.of(rollout);
        status.ignoredFields = ignored.isEmpty() ? null : ignored;
        List<String> ignoredBefore = rollout.getStatus() == null || rollout.getStatus().ignoredFields == null
                ? List.of() : rollout.getStatus().ignoredFields;
        if (!ignored.isEmpty() && !ignored.equals(ignoredBefore)) {
            toRecord = new ArrayList<>(toRecord);
            toRecord.add(RolloutEvent.warning("UnknownFields", "ignored, as this version of Sluice does not know them "
                    + "(a typo, or fields of a newer Sluice): " + String.join(", ", ignored)));
        }
        Runnable handOverNotifications = announce(rollout, status, toRecord); // recorded in status first
        StatusWriter.Outcome written = statusWriter.write(rollout, status, context);
        if (written == StatusWriter.Outcome.CONFLICT) {
            LOG.debugf("status of %s/%s changed meanwhile; reconciling again", rollout.getMetadata().getNamespace(),
                    rollout.getMetadata().getName());
            return UpdateControl.<Rollout>noUpdate().rescheduleAfter(CONFLICT_RETRY);
        }
        if (written == StatusWriter.Outcome.WRITTEN && phaseOrMessageChanged(rollout, status)) {
            LOG.infof("Rollout %s/%s: %s: %s", rollout.getMetadata().getNamespace(), rollout.getMetadata().getName(),
                    status.phase, status.message);
        }
        events.record(rollout, toRecord);
        handOverNotifications.run();
        return requeue.map(r -> UpdateControl.<Rollout>noUpdate().rescheduleAfter(r)).orElse(UpdateControl.noUpdate());
    }

    /**
     * Records the notifications of these events in the status about to be written, one per destination that
     * wants each ({@code pendingNotifications}, at most {@link io.sluice.api.v1alpha1.PendingNotification#LIMIT}),
     * and drops the records the notifier has delivered or given up on. Returns what hands the records to the
     * notifier once that status is written: a restarted operator hands over what an earlier one left.
     */
    private Runnable announce(Rollout rollout, RolloutStatus status, List<RolloutEvent> recorded) {
        var ref = new Notifier.RolloutRef(rollout.getMetadata().getNamespace(), rollout.getMetadata().getName(),
                rollout.getMetadata().getUid());
        List<io.sluice.api.v1alpha1.PendingNotification> pending = new ArrayList<>(
                status.pendingNotifications == null ? List.of() : status.pendingNotifications);
        pending.removeIf(p -> notifier.settled(ref, p));
        List<Notification> notifications = recorded.stream()
                .flatMap(e -> NotificationKind.ofEventReason(e.reason()).map(kind -> new Notification(kind,
                        rollout.getMetadata().getNamespace(), rollout.getMetadata().getName(), e.reason(), e.message(),
                        status.stableRevision, status.canaryRevision, status.canaryWeight, clock.instant().toString()))
                        .stream())
                .toList();
        Map<String, Destination> destinations = notifications.isEmpty() && pending.isEmpty() ? Map.of()
                : destinations(rollout, !notifications.isEmpty());
        for (Notification n : notifications) {
            destinations.forEach((reference, d) -> {
                if (d.wants(n.kind())) {
                    pending.add(n.pendingFor(reference));
                }
            });
        }
        while (pending.size() > io.sluice.api.v1alpha1.PendingNotification.LIMIT) {
            notifier.overflowed(ref, pending.removeFirst());
        }
        status.pendingNotifications = pending.isEmpty() ? null : pending;
        List<io.sluice.api.v1alpha1.PendingNotification> handed = List.copyOf(pending);
        return () -> {
            if (!handed.isEmpty()) {
                notifier.deliver(ref, handed, destinations);
            }
        };
    }

    /**
     * The operator-wide destinations and the Rollout's own, whose URLs are read from its Secrets, by the
     * reference a pending notification keeps instead of the URL; a refused URL is reported when announcing.
     */
    private Map<String, Destination> destinations(Rollout rollout, boolean announcing) {
        Map<String, Destination> out = new java.util.LinkedHashMap<>();
        config.notifications().targets().forEach((name, t) -> out.put("operator:" + name, new Destination(
                Destination.Type.valueOf(t.type()), t.url(), kinds(t.on().orElse(List.of())))));
        for (var target : rollout.getSpec().notifications == null ? List.<io.sluice.api.v1alpha1.NotificationTarget>of()
                : rollout.getSpec().notifications) {
            String reference = "secret:" + target.urlSecretRef.name + "/" + target.urlSecretRef.key;
            if (out.containsKey(reference)) {
                continue;
            }
            String url;
            try {
                url = secrets.value(rollout.getMetadata().getNamespace(), target.urlSecretRef.name,
                        target.urlSecretRef.key).orElse(null);
            } catch (io.sluice.analysis.MeasurementException e) {
                url = null;
            }
            if (url == null) {
                LOG.warnf("Rollout %s/%s: notification Secret %s (key %s) not found; not sent",
                        rollout.getMetadata().getNamespace(), rollout.getMetadata().getName(),
                        target.urlSecretRef.name, target.urlSecretRef.key);
                continue;
            }
            String host = urlHost(url);
            Optional<String> refused = outbound().refusal(host);
            if (refused.isPresent()) {
                if (!announcing) {
                    continue;
                }
                // The URL is a credential: only the Secret is named, not the URL or its host.
                String why = host.isEmpty() ? refused.get() : refused.get().replace(host, "its host");
                LOG.warnf("Rollout %s/%s: the notification URL in Secret %s (key %s) is not sent to: %s",
                        rollout.getMetadata().getNamespace(), rollout.getMetadata().getName(),
                        target.urlSecretRef.name, target.urlSecretRef.key, why);
                events.record(rollout, List.of(RolloutEvent.warning("NotificationUrlNotAllowed", "the URL in Secret "
                        + target.urlSecretRef.name + " (key " + target.urlSecretRef.key + ") is not sent to: " + why)));
                continue;
            }
            out.put(reference, new Destination(Destination.Type.valueOf(target.type), url,
                    kinds(target.on == null ? List.of() : target.on)));
        }
        return out;
    }

    private static Set<NotificationKind> kinds(List<String> names) {
        return names.stream().map(NotificationKind::valueOf).collect(java.util.stream.Collectors.toSet());
    }

    /** The AnalysisRuns the status names, as they are now. */
    private Map<String, Observation.RunState> analysisRuns(Rollout rollout) {
        Map<String, Observation.RunState> runs = new java.util.HashMap<>();
        RolloutStatus status = rollout.getStatus();
        if (status == null) {
            return runs;
        }
        for (var ref : java.util.Arrays.asList(status.stepAnalysis, status.backgroundAnalysis)) {
            if (ref == null) {
                continue;
            }
            AnalysisRun run = client.resources(AnalysisRun.class).inNamespace(rollout.getMetadata().getNamespace())
                    .withName(ref.name).get();
            if (run != null) {
                runs.put(ref.name, new Observation.RunState(
                        run.getStatus() == null || run.getStatus().phase == null ? AnalysisPhase.Pending : run.getStatus().phase,
                        run.getStatus() == null ? null : run.getStatus().message));
            }
        }
        return runs;
    }

    /** The source read and checked: its outcome, the problems with references, and the usable revision. */
    private record Observed(SourceOutcome source, List<Problem> referenceProblems, Optional<RevisionContent> content) {
    }

    private Observed observeSource(Rollout rollout, TemplateProblems templates) {
        String namespace = rollout.getMetadata().getNamespace();
        RolloutSpec spec = rollout.getSpec();
        List<String> missingTemplates = templates.missing();
        List<Problem> duplicateMetrics = templates.duplicateMetrics();
        GitSource gitSpec = spec.source.git;
        try {
            if (isLocal(gitSpec.url) && !config.git().allowFileUrls()) {
                throw new SourceException("UrlNotAllowed", "local repositories (" + gitSpec.url.split("://")[0]
                        + " URLs and paths) are not allowed by this operator; use https://, ssh:// or git://");
            }
            if (!isLocal(gitSpec.url)) {
                Optional<String> refused = outbound().refusal(gitHost(gitSpec.url));
                if (refused.isPresent()) {
                    throw new SourceException("HostNotAllowed", "cannot fetch " + io.sluice.source.jgit.JGitSource.redact(gitSpec.url)
                            + ": " + refused.get());
                }
            }
            GitRequest request = new GitRequest(gitSpec.url, gitSpec.refOrDefault(), gitSpec.pathOrDefault(),
                    credentials(gitSpec, namespace), Durations.parse(gitSpec.intervalOrDefault()));
            GitSnapshot snapshot = git.read(request);
            poller.track(request, snapshot.revision()); // from now on a new commit wakes this Rollout; it need not poll itself
            ManifestSet manifests = parsedRevisions.get(snapshot.revision(), gitSpec.pathOrDefault(), snapshot.files());
            List<String> violations = ManifestRules.violations(manifests, namespace, config.manifests().allowedKinds());
            if (!violations.isEmpty()) {
                throw new InvalidManifestException("revision " + ValidationPlanner.shortRevision(snapshot.revision())
                        + " rejected: " + String.join("; ", violations));
            }
            var istio = spec.strategy.canary.trafficRouting.istio;
            Optional<GenericKubernetesResource> virtualService = lookup(manifests, namespace, "VirtualService",
                    istio.virtualService.name);
            List<Problem> problems = ReferenceCheck.problems(spec, namespace, gitSpec.pathOrDefault(), manifests,
                    new ReferenceCheck.Found(missingTemplates, virtualService,
                            Optional.ofNullable(istio.destinationRule)
                                    .flatMap(dr -> lookup(manifests, namespace, "DestinationRule", dr.name))));
            problems = concat(problems, duplicateMetrics);
            Optional<RevisionContent> content = Optional.empty();
            if (problems.isEmpty()) {
                Manifest workloadManifest = manifests.find("apps", "Deployment", spec.workloadRef.name).orElseThrow();
                Deployment workload = WorkloadModel.asDeployment(workloadManifest.object());
                Optional<String> shape = WorkloadModel.unusable(workload);
                if (shape.isPresent()) {
                    throw new InvalidManifestException(workloadManifest.origin() + ": Deployment " + spec.workloadRef.name
                            + " " + shape.get());
                }
                Optional<String> routedHost = virtualService.flatMap(vs -> routedHost(vs, istio.virtualService.routes));
                List<Service> services = manifests.all().stream().filter(m -> m.group().isEmpty() && m.kind().equals("Service"))
                        .map(m -> WorkloadModel.asService(m.object()))
                        .filter(s -> WorkloadModel.selects(s, workload))
                        // the Service the VirtualService routes to comes first: it is the one traffic is split on
                        .sorted(java.util.Comparator.comparing(s -> !routedHost.map(s.getMetadata().getName()::equals).orElse(false)))
                        .toList();
                if (services.isEmpty()) {
                    problems = List.of(new Problem("ServiceNotFound", "no Service among the manifests selects the pods "
                            + "of Deployment " + spec.workloadRef.name + "; Sluice derives the stable and canary "
                            + "Services from it"));
                } else {
                    List<Manifest> others = manifests.all().stream()
                            .filter(m -> !(m.group().equals("apps") && m.kind().equals("Deployment")
                                    && m.name().equals(spec.workloadRef.name)))
                            .toList();
                    // its pods read the revision's ConfigMaps and Secrets through copies named after their content
                    var rewritten = io.sluice.workload.ConfigCopies.rewrite(workload, others);
                    content = Optional.of(new RevisionContent(snapshot.revision(), rewritten.workload(), services, others,
                            rewritten.copies(), contentHashes.of(manifests)));
                }
            }
            return new Observed(SourceOutcome.read(snapshot, manifests.all().size()), problems, content);
        } catch (SourceException e) {
            return new Observed(SourceOutcome.failed(new Problem(e.reason(), e.getMessage())),
                    concat(ReferenceCheck.problemsWithTemplates(missingTemplates, namespace), duplicateMetrics), Optional.empty());
        } catch (InvalidManifestException e) {
            return new Observed(SourceOutcome.failed(new Problem(e.reason(), e.getMessage())),
                    concat(ReferenceCheck.problemsWithTemplates(missingTemplates, namespace), duplicateMetrics), Optional.empty());
        }
    }

    private static List<Problem> concat(List<Problem> a, List<Problem> b) {
        return b.isEmpty() ? a : Stream.concat(a.stream(), b.stream()).toList();
    }

    /** The short name of the host the first managed HTTP route of a VirtualService sends traffic to. */
    @SuppressWarnings("unchecked")
    private static Optional<String> routedHost(GenericKubernetesResource vs, List<String> managedRoutes) {
        if (!(vs.getAdditionalProperties().get("spec") instanceof Map<?, ?> spec) || !(spec.get("http") instanceof List<?> http)) {
            return Optional.empty();
        }
        return http.stream().filter(Map.class::isInstance).map(r -> (Map<String, Object>) r)
                .filter(r -> managedRoutes == null || managedRoutes.isEmpty() || managedRoutes.contains(r.get("name")))
                .findFirst()
                .flatMap(r -> r.get("route") instanceof List<?> dests ? dests.stream().findFirst() : Optional.empty())
                .flatMap(d -> d instanceof Map<?, ?> dm && dm.get("destination") instanceof Map<?, ?> dest
                        && dest.get("host") instanceof String host ? Optional.of(host.split("\\.")[0]) : Optional.empty());
    }

    private static boolean phaseOrMessageChanged(Rollout before, RolloutStatus after) {
        return before.getStatus() == null || before.getStatus().phase != after.phase
                || !Objects.equals(before.getStatus().message, after.message);
    }

    /** The templates the Rollout's analyses name that do not exist, and metric names defined twice in one analysis. */
    private record TemplateProblems(List<String> missing, List<Problem> duplicateMetrics) {
    }

    /** Looks each referenced template up once, for both checks. */
    private TemplateProblems templateProblems(RolloutSpec spec, String namespace) {
        var canary = spec.strategy.canary;
        Map<String, List<AnalysisTemplateRef>> analyses = new java.util.LinkedHashMap<>();
        if (canary.analysis != null && canary.analysis.templates != null) {
            analyses.put("the background analysis", canary.analysis.templates);
        }
        for (int i = 0; canary.steps != null && i < canary.steps.size(); i++) {
            CanaryStep step = canary.steps.get(i);
            if (step.analysis != null && step.analysis.templates != null) {
                analyses.put("the analysis of step " + (i + 1), step.analysis.templates);
            }
        }
        Map<String, Optional<AnalysisTemplateSpec>> found = new java.util.HashMap<>();
        Set<String> missing = new LinkedHashSet<>();
        List<Problem> duplicates = new ArrayList<>();
        analyses.forEach((analysis, refs) -> {
            Map<String, List<String>> metricNames = new java.util.LinkedHashMap<>();
            for (AnalysisTemplateRef ref : refs) {
                Optional<AnalysisTemplateSpec> template = found.computeIfAbsent(AnalysisTemplates.label(ref),
                        label -> AnalysisTemplates.find(client, ref, namespace));
                template.ifPresentOrElse(t -> AnalysisTemplates.addMetricNames(metricNames, ref, t),
                        () -> missing.add(AnalysisTemplates.label(ref)));
            }
            duplicates.addAll(ReferenceCheck.duplicateMetrics(analysis, metricNames));
        });
        return new TemplateProblems(new ArrayList<>(missing), duplicates);
    }

    /** Credentials from the Secret named by secretRef; the values are never logged or reported. */
    private Optional<GitCredentials> credentials(GitSource gitSpec, String namespace) throws SourceException {
        if (gitSpec.secretRef == null) {
            return Optional.empty();
        }
        String name = gitSpec.secretRef.name;
        Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
        if (secret == null) {
            throw new SourceException("SecretNotFound", "Secret " + name + " (source.git.secretRef) not found in namespace "
                    + namespace);
        }
        return Optional.of(GitCredentials.fromSecret(secret));
    }

    /** A URL JGit would read from the operator's own disk. */
    private io.sluice.net.OutboundPolicy outbound() {
        io.sluice.net.OutboundPolicy policy = outboundPolicy;
        if (policy == null) { // built once: the configuration does not change while the operator runs
            var o = config.outbound();
            policy = outboundPolicy = new io.sluice.net.OutboundPolicy(o.allowLoopback(), o.allowPrivateNetworks(),
                    o.allowedHosts());
        }
        return policy;
    }

    private static String urlHost(String url) {
        try {
            String host = java.net.URI.create(url.trim()).getHost();
            return host == null ? "" : host;
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    /** The host a Git URL names (https://, ssh://, git://, or scp-like user@host:path). */
    private static String gitHost(String url) {
        try {
            return new org.eclipse.jgit.transport.URIish(url).getHost();
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    private static boolean isLocal(String url) {
        return url.startsWith("file:") || !url.contains("://") && !url.matches("^[A-Za-z0-9._-]+@[^:/]+:.+$");
    }

    /** An Istio object from the manifests, or else from the cluster (where Istio may not be installed). */
    private Optional<GenericKubernetesResource> lookup(ManifestSet manifests, String namespace, String kind, String name) {
        Optional<GenericKubernetesResource> fromGit = manifests.find("networking.istio.io", kind, name).map(Manifest::object);
        if (fromGit.isPresent()) {
            return fromGit;
        }
        try {
            return Optional.ofNullable(client.genericKubernetesResources("networking.istio.io/v1", kind)
                    .inNamespace(namespace).withName(name).get());
        } catch (KubernetesClientException e) {
            LOG.debugf("looking up %s %s/%s failed: %s", kind, namespace, name, e.getMessage());
            return Optional.empty();
        }
    }
}
