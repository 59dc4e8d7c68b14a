package io.sluice.traffic.istio;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.api.v1alpha1.DestinationRuleRef;
import io.sluice.api.v1alpha1.IstioTrafficRouting;
import io.sluice.api.v1alpha1.VirtualServiceRef;
import io.sluice.traffic.RoutingTarget;

import java.util.List;
import java.util.Map;

/** The checkout app's Istio objects as Git declares them, and the routing targets that weight them. */
public final class IstioFixtures {
    public static final String NAMESPACE = "shop";
    public static final Map<String, String> STABLE_PODS = Map.of("app", "checkout", "sluice.io/version", "stable");
    public static final Map<String, String> CANARY_PODS = Map.of("app", "checkout", "sluice.io/version", "canary");

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private IstioFixtures() {
    }

    /**
     * VirtualService "checkout": route "primary" (managed) forwards to the checkout Service on port
     * 8080 with retries, a timeout and a request header; route "admin" (not managed) goes to the
     * admin Service; route "legacy" redirects.
     */
    public static GenericKubernetesResource checkoutVirtualService() {
        return yaml("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                  name: checkout
                  namespace: shop
                  labels: {app: checkout}
                spec:
                  hosts: [checkout, checkout.example.com]
                  gateways: [mesh, shop/public]
                  http:
                  - name: admin
                    match: [{uri: {prefix: /admin}}]
                    route:
                    - destination: {host: checkout-admin, port: {number: 9090}}
                  - name: legacy
                    match: [{uri: {exact: /old-cart}}]
                    redirect: {uri: /cart}
                  - name: primary
                    match: [{uri: {prefix: /}}]
                    retries: {attempts: 3, perTryTimeout: 2s, retryOn: "5xx,reset"}
                    timeout: 10s
                    headers:
                      request:
                        set: {x-shop-tier: web}
                    route:
                    - destination: {host: checkout, port: {number: 8080}}
                      headers:
                        response:
                          add: {x-served-by: checkout}
                """);
    }

    /** A VirtualService with one unnamed HTTP route to the checkout Service. */
    public static GenericKubernetesResource singleRouteVirtualService() {
        return yaml("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: checkout, namespace: shop}
                spec:
                  hosts: [checkout]
                  http:
                  - route:
                    - destination: {host: checkout}
                """);
    }

    /**
     * DestinationRule "checkout" with a traffic policy, a "stable" subset with stale labels and its
     * own traffic policy, and an unrelated subset.
     */
    public static GenericKubernetesResource checkoutDestinationRule() {
        return yaml("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: checkout, namespace: shop}
                spec:
                  host: checkout
                  trafficPolicy:
                    loadBalancer: {simple: ROUND_ROBIN}
                  subsets:
                  - name: stable
                    labels: {app: checkout, version: v0}
                    trafficPolicy:
                      connectionPool:
                        http: {http1MaxPendingRequests: 100}
                  - name: debug
                    labels: {app: checkout, debug: "true"}
                """);
    }

    /** Host-level split of route "primary" between the Services checkout-stable and checkout-canary. */
    public static RoutingTarget byHost(String... routes) {
        return new RoutingTarget(NAMESPACE, istio(List.of(routes), null), "checkout-stable", "checkout-canary",
                STABLE_PODS, CANARY_PODS);
    }

    /** Subset-level split of the given routes by subsets "stable" and "canary" of DestinationRule "checkout". */
    public static RoutingTarget bySubset(String... routes) {
        DestinationRuleRef rule = new DestinationRuleRef();
        rule.name = "checkout";
        rule.stableSubsetName = "stable";
        rule.canarySubsetName = "canary";
        return new RoutingTarget(NAMESPACE, istio(List.of(routes), rule), "checkout-stable", "checkout-canary",
                STABLE_PODS, CANARY_PODS);
    }

    public static GenericKubernetesResource yaml(String yaml) {
        return SERIALIZATION.unmarshal(yaml, GenericKubernetesResource.class);
    }

    public static String json(Object object) {
        return SERIALIZATION.asJson(object);
    }

    /** The object as plain maps and lists, the way an API server sees its JSON. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> asMap(Object object) {
        return SERIALIZATION.convertValue(object, Map.class);
    }

    /** The object as a JSON tree, for comparisons that ignore the order of keys. */
    public static JsonNode tree(Object object) {
        return SERIALIZATION.convertValue(object, JsonNode.class);
    }

    private static IstioTrafficRouting istio(List<String> routes, DestinationRuleRef rule) {
        IstioTrafficRouting istio = new IstioTrafficRouting();
        istio.virtualService = new VirtualServiceRef();
        istio.virtualService.name = "checkout";
        istio.virtualService.routes = routes;
        istio.destinationRule = rule;
        return istio;
    }
}
