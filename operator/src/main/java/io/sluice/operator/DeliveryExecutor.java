package io.sluice.operator;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.api.v1alpha1.IstioTrafficRouting;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.core.delivery.Action;
import io.sluice.core.delivery.WorkloadState;
import io.sluice.manifest.Manifest;
import io.sluice.traffic.RoutingTarget;
import io.sluice.traffic.TrafficRouter;
import io.sluice.traffic.TrafficRoutingException;
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

    /** The objects of one revision, split into the workload, the Services that select it, and the rest. */
    public record RevisionContent(String revision, Deployment workload, List<Service> workloadServices,
                                  List<Manifest> others) {
    }

    /** Performs the actions; returns the inventory after them. */
    public List<String> execute(List<Action> actions, Context ctx) throws ActionFailedException {
        List<String> inventory = ctx.inventory();
        int weight = ctx.currentWeight();
        for (Action action : actions) {
            try {
                switch (action) {
                    case Action.ApplyObjects a -> inventory = applyObjects(ctx, content(ctx, a.revision()), weight);
                    case Action.DeployStable d -> deployStable(ctx, d);
                    case Action.DeployCanary d -> deployCanary(ctx, content(ctx, d.revision()));
                    case Action.ScaleDownCanary s -> scaleDownCanary(ctx.rollout());
                    case Action.SetCanaryWeight w -> {
                        router.setWeight(ctx.target(), w.weight());
                        weight = w.weight();
                    }
                }
            } catch (TrafficRoutingException e) {
                throw new ActionFailedException(e.reason(), e.getMessage(), e);
            } catch (KubernetesClientException e) {
                throw new ActionFailedException("ApplyFailed", describe(action) + " failed: " + e.getMessage(), e);
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
                WorkloadModel.annotation(d, Labels.TEMPLATE_HASH).orElse(null), replicas, available, rolledOut);
    }

    private static RevisionContent content(Context ctx, String revision) throws ActionFailedException {
        return ctx.desired().filter(c -> c.revision().equals(revision)).orElseThrow(() -> new ActionFailedException(
                "RevisionUnavailable", "revision " + revision + " is not the one read from the source", null));
    }

    private List<String> applyObjects(Context ctx, RevisionContent content, int weight) {
        Rollout rollout = ctx.rollout();
        String namespace = rollout.getMetadata().getNamespace();
        IstioTrafficRouting istio = rollout.getSpec().strategy.canary.trafficRouting.istio;
        for (Service service : content.workloadServices()) {
            for (String role : List.of(Labels.STABLE, Labels.CANARY)) {
                objects.write(WorkloadModel.service(rollout, service, role));
            }
        }
        List<Manifest> ordered = new ArrayList<>(content.others());
        ordered.sort(Comparator.comparingInt(m -> order(m.kind())));
        Set<String> applied = new LinkedHashSet<>();
        for (Manifest m : ordered) {
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
            objects.write(typed);
            applied.add(inventoryKey(object));
        }
        prune(rollout, ctx.inventory(), applied);
        return List.copyOf(applied);
    }

    /** Deletes what Sluice applied before and Git no longer has, and only objects carrying this Rollout's label. */
    private void prune(Rollout rollout, List<String> before, Set<String> now) {
        for (String key : before == null ? List.<String>of() : before) {
            if (now.contains(key)) {
                continue;
            }
            int kindSlash = key.lastIndexOf('/', key.lastIndexOf('/') - 1);
            String apiVersion = key.substring(0, kindSlash);
            String[] kindAndName = key.substring(kindSlash + 1).split("/");
            GenericKubernetesResource live = objects.get(apiVersion, kindAndName[0], rollout.getMetadata().getNamespace(), kindAndName[1]);
            if (live != null && live.getMetadata().getLabels() != null
                    && rollout.getMetadata().getName().equals(live.getMetadata().getLabels().get(Labels.ROLLOUT))) {
                objects.delete(apiVersion, kindAndName[0], rollout.getMetadata().getNamespace(), kindAndName[1]);
            }
        }
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
        } else {
            template = content(ctx, action.revision()).workload();
            hash = WorkloadModel.templateHash(template);
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
        objects.write(desired);
    }

    private void scaleDownCanary(Rollout rollout) {
        Deployment canary = client.apps().deployments().inNamespace(rollout.getMetadata().getNamespace())
                .withName(WorkloadModel.deploymentName(rollout.getSpec().workloadRef.name, Labels.CANARY)).get();
        if (canary != null) {
            objects.write(canary, live -> withReplicas(live, 0));
        }
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
            case Action.ApplyObjects a -> "applying revision " + a.revision().substring(0, Math.min(12, a.revision().length()));
            case Action.DeployStable d -> "updating the stable Deployment";
            case Action.DeployCanary d -> "deploying the canary";
            case Action.ScaleDownCanary s -> "scaling the canary down";
            case Action.SetCanaryWeight w -> "setting the canary weight to " + w.weight() + "%";
        };
    }
}
