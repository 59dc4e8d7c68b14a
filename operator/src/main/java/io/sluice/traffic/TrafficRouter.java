package io.sluice.traffic;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;

/**
 * Splits a Rollout's traffic between its stable and canary versions. One implementation per
 * router (Istio first). Git declares the routes; a router owns only the destinations and weights
 * of the routes it is told to manage, and leaves every other field as Git wrote it.
 */
public interface TrafficRouter {

    /**
     * Makes the managed routes send {@code canaryWeight} percent to the canary and the rest to
     * stable, then reads the object back and verifies it. Writes are optimistic (resourceVersion);
     * a conflict is retried. With subsets, the DestinationRule is updated before any weight that
     * depends on it.
     *
     * @throws TrafficRoutingException when the objects are missing or the weight cannot be written or verified
     */
    void setWeight(RoutingTarget target, int canaryWeight) throws TrafficRoutingException;

    /**
     * The canary weight the cluster's objects route now: the canary destination's weight on the
     * managed routes (all managed routes must agree), 0 when they route only to stable or to the
     * host as Git declares it.
     *
     * @throws TrafficRoutingException when the VirtualService is missing or the managed routes disagree
     */
    int currentWeight(RoutingTarget target) throws TrafficRoutingException;

    /**
     * Pure: the VirtualService as Git declares it, with its managed routes carrying the given
     * weight, so that applying a new revision from Git never resets a rollout in flight. The input
     * is not modified. Also used for the DestinationRule: see {@link #withManagedSubsets}.
     */
    GenericKubernetesResource withManagedRoutes(GenericKubernetesResource virtualServiceFromGit, RoutingTarget target,
            int canaryWeight);

    /**
     * Pure: the DestinationRule as Git declares it, with the stable and canary subsets selecting the
     * stable and canary pods. The input is not modified.
     */
    GenericKubernetesResource withManagedSubsets(GenericKubernetesResource destinationRuleFromGit, RoutingTarget target);
}
