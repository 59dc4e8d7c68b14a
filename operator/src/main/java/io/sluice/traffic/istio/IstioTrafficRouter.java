package io.sluice.traffic.istio;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sluice.api.v1alpha1.DestinationRuleRef;
import io.sluice.traffic.RoutingTarget;
import io.sluice.traffic.TrafficRouter;
import io.sluice.traffic.TrafficRoutingException;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.net.HttpURLConnection;
import java.util.List;
import java.util.Objects;

import static io.sluice.traffic.istio.IstioObject.API_VERSION;
import static io.sluice.traffic.istio.IstioObject.DESTINATION_RULE;
import static io.sluice.traffic.istio.IstioObject.VIRTUAL_SERVICE;
import static io.sluice.traffic.istio.IstioObject.spec;

/**
 * Splits traffic with Istio's {@code networking.istio.io/v1} VirtualService, and DestinationRule
 * subsets when the Rollout names one. What the objects look like is decided by
 * {@link ManagedRoutes} and {@link ManagedSubsets}; this class reads and writes them.
 * <p>
 * Every write is a full update (PUT) carrying the resourceVersion that was read, so a concurrent
 * change (Git sync, a person with kubectl) makes it fail with 409 instead of being overwritten; the
 * object is then read again and the change recomputed on top of it, at most
 * {@value #WRITE_ATTEMPTS} times. Merge patch, strategic merge patch and server-side apply are not
 * used. Objects read are never modified: the pure functions work on copies.
 */
@ApplicationScoped
public class IstioTrafficRouter implements TrafficRouter {
    /** Writes of one object before giving up; each 409 re-reads it. Writers rarely race more than once. */
    static final int WRITE_ATTEMPTS = 5;

    private static final Logger LOG = Logger.getLogger(IstioTrafficRouter.class);

    private final KubernetesClient client;

    public IstioTrafficRouter(KubernetesClient client) {
        this.client = client;
    }

    /**
     * {@inheritDoc}
     * <p>
     * With subsets, the DestinationRule is written and read back first: a weight that sends traffic
     * to a subset which does not select the right pods yet would route it to nothing, or to the
     * wrong version. Nothing is written when the objects already say what is asked.
     */
    @Override
    public void setWeight(RoutingTarget target, int canaryWeight) throws TrafficRoutingException {
        ManagedRoutes.requirePercent(canaryWeight);
        String namespace = target.namespace();
        DestinationRuleRef subsets = target.istio().destinationRule;
        if (subsets != null) {
            update(namespace, DESTINATION_RULE, subsets.name, rule -> ManagedSubsets.withLabels(rule, target));
            ManagedSubsets.verify(read(namespace, DESTINATION_RULE, subsets.name), target);
        }
        String virtualService = target.istio().virtualService.name;
        update(namespace, VIRTUAL_SERVICE, virtualService, vs -> ManagedRoutes.weighted(vs, target, canaryWeight));
        List<String> differing =
                ManagedRoutes.routesNotCarrying(read(namespace, VIRTUAL_SERVICE, virtualService), target, canaryWeight);
        if (!differing.isEmpty()) {
            throw new TrafficRoutingException("WeightNotVerified", "VirtualService " + namespace + "/"
                    + virtualService + " was written with canary weight " + canaryWeight
                    + " but another writer changed it since; its managed routes now read " + differing);
        }
    }

    @Override
    public int currentWeight(RoutingTarget target) throws TrafficRoutingException {
        return ManagedRoutes.canaryWeight(
                read(target.namespace(), VIRTUAL_SERVICE, target.istio().virtualService.name), target);
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException when a managed route is missing or forwards nowhere (the
     *     Rollout's references are checked before delivery starts, so this is a caller's mistake)
     */
    @Override
    public GenericKubernetesResource withManagedRoutes(GenericKubernetesResource virtualServiceFromGit,
            RoutingTarget target, int canaryWeight) {
        try {
            return ManagedRoutes.weighted(virtualServiceFromGit, target, canaryWeight);
        } catch (TrafficRoutingException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException when the target splits by host, or its pod labels are empty or equal
     */
    @Override
    public GenericKubernetesResource withManagedSubsets(GenericKubernetesResource destinationRuleFromGit,
            RoutingTarget target) {
        return ManagedSubsets.withLabels(destinationRuleFromGit, target);
    }

    /** What an object should become, computed from what the API server holds now. */
    @FunctionalInterface
    private interface Revision {
        GenericKubernetesResource of(GenericKubernetesResource current) throws TrafficRoutingException;
    }

    /** Reads, revises and writes an object until a write lands on the version it was computed from. */
    private void update(String namespace, String kind, String name, Revision revision) throws TrafficRoutingException {
        for (int attempt = 1; ; attempt++) {
            GenericKubernetesResource current = read(namespace, kind, name);
            GenericKubernetesResource revised = revision.of(current);
            if (Objects.equals(spec(current), spec(revised))) {
                return;
            }
            // Without a resourceVersion Fabric8 would fetch the latest one and overwrite blindly.
            Objects.requireNonNull(revised.getMetadata().getResourceVersion(),
                    () -> "resourceVersion of " + kind + " " + name);
            try {
                client.genericKubernetesResources(API_VERSION, kind).inNamespace(namespace).resource(revised).update();
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() == HttpURLConnection.HTTP_CONFLICT && attempt < WRITE_ATTEMPTS) {
                    LOG.debugf("%s %s/%s changed while being written (attempt %d); reading it again",
                            kind, namespace, name, attempt);
                } else if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                    throw new TrafficRoutingException("WriteConflict", kind + " " + namespace + "/" + name
                            + " changed under every one of " + WRITE_ATTEMPTS
                            + " writes; other writers keep updating it", e);
                } else if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
                    throw notFound(namespace, kind, name);
                } else {
                    throw new TrafficRoutingException("WriteFailed", "writing " + kind + " " + namespace + "/" + name
                            + " failed: " + e.getMessage(), e);
                }
            }
        }
    }

    private GenericKubernetesResource read(String namespace, String kind, String name) throws TrafficRoutingException {
        GenericKubernetesResource object;
        try {
            object = client.genericKubernetesResources(API_VERSION, kind).inNamespace(namespace).withName(name).get();
        } catch (KubernetesClientException e) {
            throw new TrafficRoutingException("ReadFailed", "reading " + kind + " " + namespace + "/" + name
                    + " failed: " + e.getMessage(), e);
        }
        if (object == null) {
            throw notFound(namespace, kind, name);
        }
        return object;
    }

    private static TrafficRoutingException notFound(String namespace, String kind, String name) {
        return new TrafficRoutingException(kind + "NotFound", kind + " " + name + " does not exist in namespace "
                + namespace + " (Istio's " + API_VERSION + " API)");
    }
}
