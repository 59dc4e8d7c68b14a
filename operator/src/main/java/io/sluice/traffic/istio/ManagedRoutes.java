package io.sluice.traffic.istio;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.api.v1alpha1.DestinationRuleRef;
import io.sluice.traffic.RoutingTarget;
import io.sluice.traffic.TrafficRoutingException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static io.sluice.traffic.istio.IstioObject.map;
import static io.sluice.traffic.istio.IstioObject.maps;
import static io.sluice.traffic.istio.IstioObject.name;
import static io.sluice.traffic.istio.IstioObject.spec;

/**
 * The HTTP routes of a VirtualService that Sluice weights, and nothing else of it. Pure: works on
 * copies, never on the objects it is given.
 * <p>
 * A managed route always carries exactly two destinations, stable first, whose weights add up to
 * 100, at every weight including 0 and 100: the object keeps one shape for the whole rollout, so a
 * weight change is a change of two numbers, and Istio accepts a destination of weight 0 (it gets
 * no traffic). With a host-level split the destinations are the stable and canary Services; with a
 * subset-level split they keep the host Git wrote and name the stable and canary subsets. Any other
 * field Git wrote on the route's destination (a port, request headers) is kept on both.
 */
final class ManagedRoutes {
    private static final String HTTP = "http";
    private static final String NAME = "name";
    private static final String ROUTE = "route";
    private static final String DESTINATION = "destination";
    private static final String WEIGHT = "weight";
    private static final String HOST = "host";
    private static final String SUBSET = "subset";
    private static final int ALL = 100;
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private ManagedRoutes() {
    }

    /** A copy of the VirtualService whose managed routes send {@code canaryWeight} percent to the canary. */
    static GenericKubernetesResource weighted(GenericKubernetesResource virtualService, RoutingTarget target,
            int canaryWeight) throws TrafficRoutingException {
        requirePercent(canaryWeight);
        GenericKubernetesResource copy = SERIALIZATION.clone(virtualService);
        for (Map<String, Object> route : managedRoutes(copy, target)) {
            route.put(ROUTE, split(route, copy, target, canaryWeight));
        }
        return copy;
    }

    /**
     * The canary's share of the managed routes' traffic, in percent: 0 when no destination is the
     * canary (e.g. the route as Git wrote it). Weights are read as Istio does, relative to their sum.
     *
     * @throws TrafficRoutingException when a managed route is missing or the routes disagree
     */
    static int canaryWeight(GenericKubernetesResource virtualService, RoutingTarget target)
            throws TrafficRoutingException {
        Map<String, Integer> weightByRoute = new LinkedHashMap<>();
        for (Map<String, Object> route : managedRoutes(virtualService, target)) {
            weightByRoute.put(label(route), canaryShare(destinations(route), target));
        }
        if (weightByRoute.values().stream().distinct().count() > 1) {
            throw new TrafficRoutingException("RouteWeightsDiffer", "the managed routes of VirtualService "
                    + name(virtualService) + " send different shares to the canary: " + weightByRoute);
        }
        return weightByRoute.values().iterator().next();
    }

    /** The managed routes whose destinations differ from what {@link #weighted} would write. */
    static List<String> routesNotCarrying(GenericKubernetesResource virtualService, RoutingTarget target,
            int canaryWeight) throws TrafficRoutingException {
        GenericKubernetesResource expected = weighted(virtualService, target, canaryWeight);
        List<Map<String, Object>> actualRoutes = managedRoutes(virtualService, target);
        List<Map<String, Object>> expectedRoutes = managedRoutes(expected, target);
        List<String> differing = new ArrayList<>();
        for (int i = 0; i < actualRoutes.size(); i++) {
            if (!Objects.equals(actualRoutes.get(i).get(ROUTE), expectedRoutes.get(i).get(ROUTE))) {
                differing.add(label(actualRoutes.get(i)) + " " + actualRoutes.get(i).get(ROUTE));
            }
        }
        return differing;
    }

    /**
     * The HTTP routes named in the Rollout, in that order, or the only HTTP route when it names none.
     * They are the VirtualService's own maps, so callers edit them in place on a copy.
     */
    private static List<Map<String, Object>> managedRoutes(GenericKubernetesResource virtualService,
            RoutingTarget target) throws TrafficRoutingException {
        List<Map<String, Object>> http = maps(spec(virtualService).get(HTTP));
        List<String> wanted = target.istio().virtualService.routes;
        if (wanted == null || wanted.isEmpty()) {
            if (http.size() != 1) {
                throw new TrafficRoutingException("RouteNotFound", "VirtualService " + name(virtualService) + " has "
                        + http.size() + " HTTP routes; name the ones Sluice manages in "
                        + "trafficRouting.istio.virtualService.routes");
            }
            return http;
        }
        List<Map<String, Object>> managed = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String routeName : wanted) {
            http.stream().filter(route -> routeName.equals(route.get(NAME))).findFirst()
                    .ifPresentOrElse(managed::add, () -> missing.add(routeName));
        }
        if (!missing.isEmpty()) {
            throw new TrafficRoutingException("RouteNotFound", "VirtualService " + name(virtualService)
                    + " has no HTTP route named " + String.join(", ", missing));
        }
        return managed;
    }

    private static List<Map<String, Object>> split(Map<String, Object> route, GenericKubernetesResource virtualService,
            RoutingTarget target, int canaryWeight) throws TrafficRoutingException {
        List<Map<String, Object>> destinations = destinations(route);
        if (destinations.isEmpty()) {
            // A redirect, direct response or delegate: adding destinations would make it invalid.
            throw new TrafficRoutingException("RouteHasNoDestination", "HTTP route " + label(route)
                    + " of VirtualService " + name(virtualService) + " forwards to no destination, so it cannot be "
                    + "weighted");
        }
        Map<String, Object> template = destinations.stream()
                .filter(d -> pointsAt(d, Version.STABLE, target)).findFirst()
                .orElse(destinations.getFirst());
        return new ArrayList<>(List.of(
                routeDestination(template, target, Version.STABLE, ALL - canaryWeight),
                routeDestination(template, target, Version.CANARY, canaryWeight)));
    }

    /** A copy of Git's route destination pointing at stable or canary, with the weight. */
    private static Map<String, Object> routeDestination(Map<String, Object> template, RoutingTarget target,
            Version version, int weight) {
        Map<String, Object> destination = new LinkedHashMap<>(map(template.get(DESTINATION)));
        DestinationRuleRef subsets = target.istio().destinationRule;
        if (subsets == null) {
            destination.put(HOST, version.host(target));
            // Git's subset belongs to Git's host, not to the stable or canary Service.
            destination.remove(SUBSET);
        } else {
            destination.put(SUBSET, version.subset(subsets));
        }
        Map<String, Object> routeDestination = new LinkedHashMap<>();
        routeDestination.put(DESTINATION, destination);
        template.forEach((key, value) -> {
            if (!key.equals(DESTINATION) && !key.equals(WEIGHT)) {
                routeDestination.put(key, value);
            }
        });
        routeDestination.put(WEIGHT, weight);
        return SERIALIZATION.clone(routeDestination);
    }

    private static int canaryShare(List<Map<String, Object>> destinations, RoutingTarget target) {
        int total = 0;
        int canary = 0;
        for (Map<String, Object> destination : destinations) {
            // Istio: a lone destination without a weight takes all the traffic; among several, none.
            int weight = destination.get(WEIGHT) instanceof Number n ? n.intValue()
                    : destinations.size() == 1 ? ALL : 0;
            total += weight;
            if (pointsAt(destination, Version.CANARY, target)) {
                canary += weight;
            }
        }
        return total == 0 ? 0 : Math.round(canary * (float) ALL / total);
    }

    /** Whether a route destination points at this version's Service (host split) or subset (subset split). */
    private static boolean pointsAt(Map<String, Object> routeDestination, Version version, RoutingTarget target) {
        Map<String, Object> destination = map(routeDestination.get(DESTINATION));
        return target.istio().destinationRule == null
                ? Objects.equals(destination.get(HOST), version.host(target))
                : Objects.equals(destination.get(SUBSET), version.subset(target.istio().destinationRule));
    }

    private static List<Map<String, Object>> destinations(Map<String, Object> route) {
        return maps(route.get(ROUTE));
    }

    private static String label(Map<String, Object> route) {
        return route.get(NAME) instanceof String s ? s : "(unnamed)";
    }

    static void requirePercent(int canaryWeight) {
        if (canaryWeight < 0 || canaryWeight > ALL) {
            throw new IllegalArgumentException("a canary weight is a percentage within 0..100: " + canaryWeight);
        }
    }

    private enum Version {
        STABLE, CANARY;

        String host(RoutingTarget target) {
            return this == STABLE ? target.stableHost() : target.canaryHost();
        }

        String subset(DestinationRuleRef subsets) {
            return this == STABLE ? subsets.stableSubsetName : subsets.canarySubsetName;
        }
    }
}
