package io.sluice.operator;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.analysis.ArgResolver;
import io.sluice.api.v1alpha1.AnalysisArg;
import io.sluice.api.v1alpha1.AnalysisRun;
import io.sluice.api.v1alpha1.AnalysisRunSpec;
import io.sluice.api.v1alpha1.AnalysisTemplateRef;
import io.sluice.api.v1alpha1.AnalysisTemplateSpec;
import io.sluice.api.v1alpha1.IstioTrafficRouting;
import io.sluice.api.v1alpha1.Metric;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.core.delivery.Action;
import io.sluice.core.delivery.WorkloadState;
import io.sluice.manifest.Manifest;
import io.sluice.traffic.RoutingTarget;
import io.sluice.traffic.TrafficRouter;
import io.sluice.traffic.TrafficRoutingException;
import io.sluice.workload.ConfigCopies;
import io.sluice.workload.Labels;
import io.sluice.workload.WorkloadModel;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Performs the delivery planner's actions against the cluster, in order. The first failure stops
 * the sequence; the caller then keeps the previous progress in status and reports the failure.
 */
@ApplicationScoped
public class DeliveryExecutor {
    /** Configuration before what uses it; routing last, once the hosts it names exist. */
    private static final List<String> APPLY_ORDER = List.of("Namespace", "ServiceAccount", "Secret", "ConfigMap",
            "PersistentVolumeClaim", "Role", "RoleBinding", "Service", "DestinationRule", "VirtualService");

    private final KubernetesClient client;
    private final ClusterObjects objects;
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(DeliveryExecutor.class);
    private final TrafficRouter router;
    private final KubernetesSerialization serialization;

    public DeliveryExecutor(KubernetesClient client, ClusterObjects objects, TrafficRouter router) {
        this.client = client;
        this.objects = objects;
        this.router = router;
        this.serialization = client.getKubernetesSerialization();
    }

    /** An action that could not be performed. */
    public static class ActionFailedException extends Exception {
        private final String reason;

        public ActionFailedException(String reason, String message, Throwable cause) {
            super(message, cause);
            this.reason = reason;
        }

        public String reason() {
            return reason;
        }
    }

    /**
     * What the actions work with.
     *
     * @param desired       the revision read from Git, when usable
     * @param target        where traffic is split
     * @param currentWeight the canary weight before these actions (written into a VirtualService applied from Git)
     * @param inventory     objects applied earlier, for pruning
     */
    public record Context(Rollout rollout, Optional<RevisionContent> desired, RoutingTarget target, int currentWeight,
                          List<String> inventory) {
    }

    /**
     * The objects of one revision, split into the workload (its pod template pointing at the config
     * copies), the Services that select it, the rest, and the copies of the ConfigMaps and Secrets its
     * pods use; and the hash of all it deploys (its identity).
     */
    public record RevisionContent(String revision, Deployment workload, List<Service> workloadServices,
                                  List<Manifest> others, List<GenericKubernetesResource> configCopies, String contentHash) {
        public RevisionContent(String revision, Deployment workload, List<Service> workloadServices, List<Manifest> others) {
            this(revision, workload, workloadServices, others, List.of(), null);
        }

        /** The same content under the commit it was first seen at. */
        public RevisionContent as(String knownRevision) {
            return new RevisionContent(knownRevision, workload, workloadServices, others, configCopies, contentHash);
        }
    }

    /** Performs the actions; returns the inventory after them. */
    public List<String> execute(List<Action> actions, Context ctx) throws ActionFailedException {
        List<String> inventory = ctx.inventory();
        int weight = ctx.currentWeight();
        for (Action action : actions) {
            try {
                switch (action) {
                    case Action.ApplyObjects a -> inventory = applyObjects(ctx, content(ctx, a.revision()), weight,
                            a.forStable(), inventory);
                    case Action.DeployStable d -> deployStable(ctx, d);
                    case Action.DeployCanary d -> deployCanary(ctx, content(ctx, d.revision()));
                    case Action.ScaleDownCanary s -> scaleDownCanary(ctx.rollout());
                    case Action.SetCanaryWeight w -> {
                        setWeight(ctx, w.weight());
                        weight = w.weight();
                    }
                    case Action.StartAnalysis a -> startAnalysis(ctx.rollout(), a);
                    case Action.TerminateAnalysis t -> terminateAnalysis(ctx.rollout(), t.name());
                }
            } catch (TrafficRoutingException e) {
                throw new ActionFailedException(e.reason(), e.getMessage(), e);
            } catch (ClusterObjects.NotOwnedException e) {
                throw new ActionFailedException("ObjectNotOwned", describe(action) + " stopped: " + e.getMessage(), e);
            } catch (KubernetesClientException e) {
                throw new ActionFailedException("ApplyFailed", describe(action) + " failed: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                // e.g. an object from Git that does not fit what this action needs; reported, not crashed on
                throw new ActionFailedException("ActionFailed", describe(action) + " failed: " + e.getMessage(), e);
            }
        }
        return inventory;
    }

    /** The live stable or canary Deployment as the planner sees it. */
    public WorkloadState observe(Rollout rollout, String role) {
        Deployment d = client.apps().deployments().inNamespace(rollout.getMetadata().getNamespace())
                .withName(WorkloadModel.deploymentName(rollout.getSpec().workloadRef.name, role)).get();
        if (d == null) {
            return WorkloadState.ABSENT;
        }
        int replicas = Optional.ofNullable(d.getSpec().getReplicas()).orElse(1);
        var status = d.getStatus();
        int available = status == null ? 0 : Optional.ofNullable(status.getAvailableReplicas()).orElse(0);
        int updated = status == null ? 0 : Optional.ofNullable(status.getUpdatedReplicas()).orElse(0);
        long observedGeneration = status == null ? 0 : Optional.ofNullable(status.getObservedGeneration()).orElse(0L);
        long generation = Optional.ofNullable(d.getMetadata().getGeneration()).orElse(0L);
        boolean rolledOut = observedGeneration >= generation && updated >= replicas;
        return new WorkloadState(true, WorkloadModel.annotation(d, Labels.REVISION).orElse(null),
                WorkloadModel.annotation(d, Labels.TEMPLATE_HASH).orElse(null), replicas, available, rolledOut,
                WorkloadModel.images(d));
    }

    private static RevisionContent content(Context ctx, String revision) throws ActionFailedException {
        return ctx.desired().filter(c -> c.revision().equals(revision)).orElseThrow(() -> new ActionFailedException(
                "RevisionUnavailable", "revision " + revision + " is not the one read from the source", null));
    }

    /**
     * Applies a revision's objects. For stable: all of them (the workload's Services as their stable and
     * canary copies, Git's own Service kept on stable's pods), then what Git dropped is pruned. For a
     * canary: only what is the canary's alone, the canary copies of the workload's Services; every other
     * object of its revision (ConfigMaps, Secrets, the VirtualService's other fields, the DestinationRule's
     * policy, other Services) would serve stable's traffic too, so it is held until promotion. The pods'
     * config reaches the canary through its own copies ({@link #writeConfigCopies}). Nothing is written
     * when any object would overwrite one this Rollout does not own.
     */
    private List<String> applyObjects(Context ctx, RevisionContent content, int weight, boolean forStable,
            List<String> before) {
        Rollout rollout = ctx.rollout();
        String namespace = rollout.getMetadata().getNamespace();
        IstioTrafficRouting istio = rollout.getSpec().strategy.canary.trafficRouting.istio;
        Set<String> workloadServices = new LinkedHashSet<>();
        List<HasMetadata> toWrite = new ArrayList<>();
        for (Service service : content.workloadServices()) {
            workloadServices.add(service.getMetadata().getName());
            // A canary must not change what stable serves: the stable copy follows only a stable revision.
            for (String role : forStable ? List.of(Labels.STABLE, Labels.CANARY) : List.of(Labels.CANARY)) {
                toWrite.add(WorkloadModel.service(rollout, service, role));
            }
        }
        Set<String> applied = new LinkedHashSet<>();
        if (forStable) {
            List<Manifest> ordered = new ArrayList<>(content.others());
            ordered.sort(Comparator.comparingInt(m -> order(m.kind())));
            for (Manifest m : ordered) {
                boolean selectsWorkload = m.group().isEmpty() && m.kind().equals("Service") && workloadServices.contains(m.name());
                GenericKubernetesResource object = serialization.clone(m.object());
                if (isIstio(m, "VirtualService", istio.virtualService.name)) {
                    object = router.withManagedRoutes(object, ctx.target(), weight);
                } else if (istio.destinationRule != null && isIstio(m, "DestinationRule", istio.destinationRule.name)) {
                    object = router.withManagedSubsets(object, ctx.target());
                }
                object.getMetadata().setNamespace(namespace);
                Map<String, String> labels = new HashMap<>(Optional.ofNullable(object.getMetadata().getLabels()).orElse(Map.of()));
                labels.putAll(WorkloadModel.ownership(rollout));
                object.getMetadata().setLabels(labels);
                Map<String, String> annotations = new HashMap<>(Optional.ofNullable(object.getMetadata().getAnnotations()).orElse(Map.of()));
                annotations.put(Labels.REVISION, content.revision());
                object.getMetadata().setAnnotations(annotations);
                HasMetadata typed = serialization.unmarshal(serialization.asJson(object), HasMetadata.class);
                if (selectsWorkload && istio.destinationRule == null && typed instanceof Service service) {
                    // Git's Service would select canary pods too (they carry the app's labels): keep it on stable.
                    // (With subsets the host must reach both versions; the DestinationRule tells them apart.)
                    service.getSpec().setSelector(WorkloadModel.merged(service.getSpec().getSelector(),
                            WorkloadModel.podLabels(rollout, Labels.STABLE)));
                }
                toWrite.add(typed);
                applied.add(inventoryKey(object));
            }
        }
        requireOwned(rollout, toWrite);
        toWrite.forEach(objects::write);
        if (!forStable) {
            return before; // nothing of the canary's revision but its own copies is live until promotion
        }
        prune(rollout, before, applied);
        pruneConfigCopies(rollout);
        return List.copyOf(applied);
    }

    /** Nothing of a revision is written when one of its objects exists and is not this Rollout's. */
    private void requireOwned(Rollout rollout, List<? extends HasMetadata> toWrite) {
        List<String> clashes = new ArrayList<>();
        for (HasMetadata object : toWrite) {
            objects.notOwned(object, rollout.getMetadata().getName()).ifPresent(clashes::add);
        }
        if (!clashes.isEmpty()) {
            throw new ClusterObjects.NotOwnedException("nothing of this revision was applied: " + String.join("; ", clashes));
        }
    }

    /** The copies of the ConfigMaps and Secrets a revision's pods use, written before the pods that read them. */
    private void writeConfigCopies(Rollout rollout, RevisionContent content) {
        List<GenericKubernetesResource> copies = content.configCopies().stream()
                .map(copy -> ConfigCopies.owned(copy, rollout)).toList();
        requireOwned(rollout, copies);
        copies.forEach(objects::write);
    }

    /**
     * Deletes this Rollout's config copies that no pods use any more: kept are those stable's pod
     * template names, and the canary's while it has pods.
     */
    private void pruneConfigCopies(Rollout rollout) {
        String namespace = rollout.getMetadata().getNamespace();
        String workload = rollout.getSpec().workloadRef.name;
        Set<String> used = new LinkedHashSet<>();
        Deployment stable = client.apps().deployments().inNamespace(namespace)
                .withName(WorkloadModel.deploymentName(workload, Labels.STABLE)).get();
        used.addAll(ConfigCopies.references(stable));
        Deployment canary = client.apps().deployments().inNamespace(namespace)
                .withName(WorkloadModel.deploymentName(workload, Labels.CANARY)).get();
        Set<String> canaryUses = ConfigCopies.references(canary);
        if (canary != null && Optional.ofNullable(canary.getSpec().getReplicas()).orElse(1) > 0) {
            used.addAll(canaryUses);
        }
        // Secrets are listed only where pods use Secrets at all (the chart grants list on Secrets only with
        // rbac.gitManagedResources); a Secret copy of a replaced canary whose successor uses none is left to the
        // garbage collector (its owner is the Rollout).
        boolean secrets = Stream.concat(used.stream(), canaryUses.stream()).anyMatch(ref -> ref.startsWith("Secret/"));
        Map<String, String> selector = Map.of(Labels.ROLLOUT, rollout.getMetadata().getName(), ConfigCopies.COPY_OF, "true");
        for (String kind : secrets ? List.of("ConfigMap", "Secret") : List.of("ConfigMap")) {
            for (GenericKubernetesResource copy : client.genericKubernetesResources("v1", kind).inNamespace(namespace)
                    .withLabels(selector).list().getItems()) {
                if (!used.contains(kind + "/" + copy.getMetadata().getName())
                        && ClusterObjects.ownedBy(copy, rollout.getMetadata().getName())) {
                    objects.delete("v1", kind, namespace, copy.getMetadata().getName());
                }
            }
        }
    }

    /**
     * Deletes what Sluice applied before and Git no longer has, and only objects that are this
     * Rollout's ({@link ClusterObjects#ownedBy}). Objects are compared by group, kind and name: a manifest moving to another
     * API version of the same object is the same object.
     */
    private void prune(Rollout rollout, List<String> before, Set<String> now) {
        Set<String> kept = new LinkedHashSet<>();
        now.forEach(key -> kept.add(identity(key)));
        for (String key : before == null ? List.<String>of() : before) {
            if (kept.contains(identity(key))) {
                continue;
            }
            int kindSlash = key.lastIndexOf('/', key.lastIndexOf('/') - 1);
            String apiVersion = key.substring(0, kindSlash);
            String[] kindAndName = key.substring(kindSlash + 1).split("/");
            GenericKubernetesResource live = objects.get(apiVersion, kindAndName[0], rollout.getMetadata().getNamespace(), kindAndName[1]);
            if (live != null && ClusterObjects.ownedBy(live, rollout.getMetadata().getName())) {
                objects.delete(apiVersion, kindAndName[0], rollout.getMetadata().getNamespace(), kindAndName[1]);
            }
        }
    }

    /** group/Kind/name of an inventory key apiVersion/Kind/name. */
    private static String identity(String key) {
        int kindSlash = key.lastIndexOf('/', key.lastIndexOf('/') - 1);
        String apiVersion = key.substring(0, kindSlash);
        int versionSlash = apiVersion.indexOf('/');
        return (versionSlash < 0 ? "" : apiVersion.substring(0, versionSlash)) + key.substring(kindSlash);
    }

    private void deployStable(Context ctx, Action.DeployStable action) throws ActionFailedException {
        Rollout rollout = ctx.rollout();
        Deployment template;
        String hash;
        if (action.fromCanary()) {
            template = client.apps().deployments().inNamespace(rollout.getMetadata().getNamespace())
                    .withName(WorkloadModel.deploymentName(rollout.getSpec().workloadRef.name, Labels.CANARY)).get();
            if (template == null) {
                throw new ActionFailedException("CanaryNotFound", "the canary Deployment to promote is gone", null);
            }
            hash = WorkloadModel.annotation(template, Labels.TEMPLATE_HASH).orElse("");
            String canaryHash = hash;
            // the canary's config copies are there while it runs; written again in case someone deleted one
            ctx.desired().filter(c -> WorkloadModel.templateHash(c.workload()).equals(canaryHash))
                    .ifPresent(c -> writeConfigCopies(rollout, c));
        } else {
            RevisionContent content = content(ctx, action.revision());
            template = content.workload();
            hash = WorkloadModel.templateHash(template);
            writeConfigCopies(rollout, content);
        }
        int gitReplicas = Optional.ofNullable(template.getSpec().getReplicas()).orElse(1);
        Deployment desired = WorkloadModel.deployment(rollout, template, Labels.STABLE, action.revision(), hash, gitReplicas);
        // Replicas on a live stable belong to whoever scales it (an autoscaler, a person): Git does not reset them.
        objects.write(desired, live -> withReplicas(desired, live.getSpec().getReplicas()));
    }

    private void deployCanary(Context ctx, RevisionContent content) {
        Rollout rollout = ctx.rollout();
        WorkloadState stable = observe(rollout, Labels.STABLE);
        int replicas = stable.exists() ? Math.max(1, stable.replicas())
                : Optional.ofNullable(content.workload().getSpec().getReplicas()).orElse(1);
        Deployment desired = WorkloadModel.deployment(rollout, content.workload(), Labels.CANARY, content.revision(),
                WorkloadModel.templateHash(content.workload()), replicas);
        requireOwned(rollout, List.of(desired));
        writeConfigCopies(rollout, content);
        objects.write(desired);
        pruneConfigCopies(rollout); // those of a canary it replaces
    }

    /**
     * Sets the canary's weight. Taking traffic off the canary must not depend on the routing objects
     * still being there: when the VirtualService or DestinationRule is gone (deleted by hand, say), an
     * abort would otherwise never be recorded while the canary's pods keep serving whatever still
     * reaches them (with subsets, the app's own Service selects them too). Then the canary is made
     * unreachable another way, verified: scaled to zero, and the weight counts as 0 only once it has no
     * pod left. The routing object comes back with the next revision applied from Git.
     */
    private void setWeight(Context ctx, int weight) throws TrafficRoutingException, ActionFailedException {
        try {
            router.setWeight(ctx.target(), weight);
        } catch (TrafficRoutingException e) {
            boolean missing = e.reason().equals("VirtualServiceNotFound") || e.reason().equals("DestinationRuleNotFound");
            if (weight != 0 || !missing) {
                throw e;
            }
            Rollout rollout = ctx.rollout();
            scaleDownCanary(rollout);
            Deployment canary = client.apps().deployments().inNamespace(rollout.getMetadata().getNamespace())
                    .withName(WorkloadModel.deploymentName(rollout.getSpec().workloadRef.name, Labels.CANARY)).get();
            int running = canary == null || canary.getStatus() == null ? 0
                    : Optional.ofNullable(canary.getStatus().getReplicas()).orElse(0);
            if (running > 0) {
                throw new ActionFailedException("CanaryStopping", e.getMessage() + ", so the canary cannot be taken off "
                        + "traffic there: it is scaled to 0 instead; waiting for its " + running + " pod(s) to stop", e);
            }
            LOG.warnf("Rollout %s/%s: %s; the canary is scaled to 0 and has no pod left, which takes it off traffic",
                    rollout.getMetadata().getNamespace(), rollout.getMetadata().getName(), e.getMessage());
        }
    }

    /**
     * Puts the managed routes back at {@code expected} when another writer changed them (a hand edit,
     * a GitOps tool syncing the VirtualService): the weights are Sluice's while it manages the
     * Rollout. Returns the weight found when it differed; empty when it did not, or when there is no
     * VirtualService to read.
     */
    public Optional<Integer> correctWeightDrift(Context ctx, int expected) throws ActionFailedException {
        int live;
        try {
            live = router.currentWeight(ctx.target());
        } catch (TrafficRoutingException | RuntimeException e) {
            return Optional.empty(); // missing or unreadable: the next action that needs it reports it
        }
        if (live == expected) {
            return Optional.empty();
        }
        try {
            setWeight(ctx, expected);
        } catch (TrafficRoutingException e) {
            throw new ActionFailedException(e.reason(), e.getMessage(), e);
        }
        return Optional.of(live);
    }

    private void scaleDownCanary(Rollout rollout) {
        Deployment canary = client.apps().deployments().inNamespace(rollout.getMetadata().getNamespace())
                .withName(WorkloadModel.deploymentName(rollout.getSpec().workloadRef.name, Labels.CANARY)).get();
        if (canary != null) {
            objects.write(canary, live -> withReplicas(live, 0));
            pruneConfigCopies(rollout); // the canary's own config goes with it (stable's copies stay)
        }
    }

    /**
     * Creates the AnalysisRun from the analysis's templates: their metrics copied (a template edited
     * later does not change a run in progress), their args merged with the Rollout's. A step's
     * metrics without a count measure once; a background analysis measures until it is stopped.
     */
    private void startAnalysis(Rollout rollout, Action.StartAnalysis action) throws ActionFailedException {
        String namespace = rollout.getMetadata().getNamespace();
        if (client.resources(AnalysisRun.class).inNamespace(namespace).withName(action.name()).get() != null) {
            return; // started before a restart
        }
        List<Metric> metrics = new ArrayList<>();
        List<AnalysisArg> args = new ArrayList<>();
        Map<String, List<String>> metricNames = new java.util.LinkedHashMap<>();
        for (AnalysisTemplateRef ref : action.analysis().templates) {
            AnalysisTemplateSpec template = AnalysisTemplates.find(client, ref, namespace)
                    .orElseThrow(() -> new ActionFailedException("AnalysisTemplateNotFound",
                            "analysis template " + ref.name + " not found", null));
            AnalysisTemplates.addMetricNames(metricNames, ref, template);
            for (Metric metric : template.metrics) {
                Metric copy = serialization.clone(metric);
                if (!action.background() && copy.count == null) {
                    copy.count = 1;
                }
                metrics.add(copy);
            }
            args = ArgResolver.merge(args, template.args == null ? List.of() : template.args);
        }
        // checked again here: a template may have changed since the Rollout's references were checked
        var duplicates = io.sluice.core.ReferenceCheck.duplicateMetrics("analysis " + action.name(), metricNames);
        if (!duplicates.isEmpty()) {
            throw new ActionFailedException("InvalidSpec", duplicates.getFirst().message(), null);
        }
        AnalysisRun run = new AnalysisRun();
        run.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
                .withName(action.name()).withNamespace(namespace)
                .withLabels(Map.of(Labels.MANAGED_BY, Labels.MANAGER, Labels.ROLLOUT, rollout.getMetadata().getName()))
                .build());
        WorkloadModel.setOwner(run, rollout);
        run.setSpec(new AnalysisRunSpec());
        run.getSpec().metrics = metrics;
        run.getSpec().args = ArgResolver.merge(args, action.analysis().args == null ? List.of() : action.analysis().args);
        objects.write(run, live -> live); // an existing run is left as it is
    }

    private void terminateAnalysis(Rollout rollout, String name) {
        AnalysisRun run = client.resources(AnalysisRun.class).inNamespace(rollout.getMetadata().getNamespace())
                .withName(name).get();
        if (run == null || Boolean.TRUE.equals(run.getSpec().terminate)
                || run.getStatus() != null && run.getStatus().phase != null && run.getStatus().phase.isCompleted()) {
            return;
        }
        objects.write(run, live -> {
            AnalysisRun copy = serialization.clone(live);
            copy.getSpec().terminate = true;
            return copy;
        });
    }

    private Deployment withReplicas(Deployment d, Integer replicas) {
        Deployment copy = serialization.clone(d);
        copy.getSpec().setReplicas(replicas);
        return copy;
    }

    private static boolean isIstio(Manifest m, String kind, String name) {
        return m.group().equals("networking.istio.io") && m.kind().equals(kind) && m.name().equals(name);
    }

    static String inventoryKey(HasMetadata object) {
        return object.getApiVersion() + "/" + object.getKind() + "/" + object.getMetadata().getName();
    }

    private static int order(String kind) {
        int i = APPLY_ORDER.indexOf(kind);
        return i >= 0 ? i : APPLY_ORDER.indexOf("Service") + 1;
    }

    private static String describe(Action action) {
        return switch (action) {
            case Action.ApplyObjects a -> "applying revision " + a.revision().substring(0, Math.min(12, a.revision().length()))
                    + (a.forStable() ? " for stable" : " for the canary");
            case Action.DeployStable d -> "updating the stable Deployment";
            case Action.DeployCanary d -> "deploying the canary";
            case Action.ScaleDownCanary s -> "scaling the canary down";
            case Action.SetCanaryWeight w -> "setting the canary weight to " + w.weight() + "%";
            case Action.StartAnalysis a -> "starting analysis " + a.name();
            case Action.TerminateAnalysis t -> "stopping analysis " + t.name();
        };
    }
}
