package io.sluice.demo.dataplane;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.sluice.demo.process.Poll;
import io.sluice.sandbox.Informers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Plays Istio's part for the HAProxy data plane: watches one VirtualService in the (mock) API and,
 * whenever it changes, gives HAProxy's stable and canary servers the split that the route's
 * destination weights describe. Traffic then really shifts when Sluice writes weights.
 *
 * <p>It reads weights as Istio does, independently of Sluice's own code: relative to their sum, a
 * lone destination without a weight taking everything. A route whose destinations are not all the
 * stable or the canary version (for example the route as Git wrote it, to the plain Service) is
 * not applied: HAProxy keeps its split and {@link #problems()} says why.
 */
public final class VirtualServiceBridge implements AutoCloseable {

    /**
     * Which destinations are which version: by their {@code host} (one Service per version) or by
     * their {@code subset} (DestinationRule subsets of one host).
     */
    public record Versions(String field, String stable, String canary) {
        public static Versions byHost(String stableHost, String canaryHost) {
            return new Versions("host", stableHost, canaryHost);
        }

        public static Versions bySubset(String stableSubset, String canarySubset) {
            return new Versions("subset", stableSubset, canarySubset);
        }
    }

    /** A split applied to HAProxy, in percent. */
    public record Split(int stablePercent, int canaryPercent) {}

    private static final String API_VERSION = "networking.istio.io/v1";

    private final KubernetesClient client;
    private final String namespace;
    private final String virtualService;
    private final String route;
    private final Versions versions;
    private final HAProxyFixture haproxy;
    private final List<Split> applied = new CopyOnWriteArrayList<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private SharedIndexInformer<GenericKubernetesResource> informer;

    /**
     * @param route the HTTP route's name, or {@code null} for a VirtualService with one HTTP route
     */
    public VirtualServiceBridge(KubernetesClient client, String namespace, String virtualService, String route,
            Versions versions, HAProxyFixture haproxy) {
        this.client = client;
        this.namespace = namespace;
        this.virtualService = virtualService;
        this.route = route;
        this.versions = versions;
        this.haproxy = haproxy;
    }

    /** Starts watching; the VirtualService as it is now is applied at once if it exists. */
    public VirtualServiceBridge start() {
        informer = client.genericKubernetesResources(API_VERSION, "VirtualService")
                .inNamespace(namespace).withName(virtualService)
                .inform(Informers.onAddOrUpdate(this::apply, deleted -> problems.add(
                        "VirtualService " + namespace + "/" + virtualService + " was deleted")));
        return this;
    }

    /** Every split applied to HAProxy so far, oldest first. */
    public List<Split> applied() {
        return List.copyOf(applied);
    }

    /** Why VirtualService changes were not applied, oldest first. */
    public List<String> problems() {
        return List.copyOf(problems);
    }

    /** Waits until HAProxy routes this share to the canary because of the VirtualService. */
    public void awaitCanaryPercent(int canaryPercent, Duration timeout) {
        try {
            Poll.until("HAProxy at canary " + canaryPercent + "%", timeout, Duration.ofMillis(50),
                    () -> !applied.isEmpty() && applied.getLast().canaryPercent() == canaryPercent);
        } catch (Poll.TimedOut e) {
            throw new IllegalStateException("the bridge did not apply canary " + canaryPercent + "% within " + timeout
                    + "; applied " + applied + ", problems " + problems, e);
        }
    }

    @Override
    public void close() {
        if (informer != null) {
            informer.close();
        }
    }

    private void apply(GenericKubernetesResource vs) {
        try {
            Split split = split(vs);
            if (applied.isEmpty() || !applied.getLast().equals(split)) {
                haproxy.setWeights(split.stablePercent(), split.canaryPercent());
                applied.add(split);
            }
        } catch (RuntimeException e) {
            // the informer's thread must survive a VirtualService Istio would reject
            problems.add("resourceVersion " + vs.getMetadata().getResourceVersion() + ": " + e.getMessage());
        }
    }

    private Split split(GenericKubernetesResource vs) {
        List<Map<String, Object>> destinations = maps(routeOf(vs).get("route"));
        long stable = 0;
        long canary = 0;
        for (Map<String, Object> destination : destinations) {
            Object version = map(destination.get("destination")).get(versions.field());
            long weight = destination.get("weight") instanceof Number n ? n.longValue()
                    : destinations.size() == 1 ? 1 : 0;
            if (Objects.equals(version, versions.stable())) {
                stable += weight;
            } else if (Objects.equals(version, versions.canary())) {
                canary += weight;
            } else {
                throw new IllegalArgumentException("a destination is neither stable nor canary: " + destination);
            }
        }
        if (stable + canary == 0) {
            throw new IllegalArgumentException("no destination has a weight: " + destinations);
        }
        int canaryPercent = (int) Math.round(100.0 * canary / (stable + canary));
        return new Split(100 - canaryPercent, canaryPercent);
    }

    private Map<String, Object> routeOf(GenericKubernetesResource vs) {
        List<Map<String, Object>> http = maps(map(vs.getAdditionalProperties().get("spec")).get("http"));
        if (route == null) {
            if (http.size() != 1) {
                throw new IllegalArgumentException("expected one HTTP route, found " + http.size());
            }
            return http.getFirst();
        }
        return http.stream().filter(r -> route.equals(r.get("name"))).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no HTTP route named " + route));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> maps(Object value) {
        return value instanceof List<?> list
                ? list.stream().filter(Map.class::isInstance).map(item -> (Map<String, Object>) item).toList()
                : List.of();
    }
}
