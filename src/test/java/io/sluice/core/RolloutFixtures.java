package io.sluice.core;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.sluice.api.v1alpha1.AnalysisTemplateRef;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.CanaryStrategy;
import io.sluice.api.v1alpha1.GitSource;
import io.sluice.api.v1alpha1.IstioTrafficRouting;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutAnalysis;
import io.sluice.api.v1alpha1.RolloutSpec;
import io.sluice.api.v1alpha1.Source;
import io.sluice.api.v1alpha1.Strategy;
import io.sluice.api.v1alpha1.TrafficRouting;
import io.sluice.api.v1alpha1.VirtualServiceRef;
import io.sluice.api.v1alpha1.WorkloadRef;

import java.util.List;

/** Rollouts for tests, built in code. */
public final class RolloutFixtures {
    private RolloutFixtures() {
    }

    /** A Rollout "checkout" in "shop" that weights route "primary" of VirtualService "checkout". */
    public static Rollout checkout(String gitUrl) {
        Rollout rollout = new Rollout();
        rollout.setMetadata(new ObjectMetaBuilder().withName("checkout").withNamespace("shop").withGeneration(1L).build());
        RolloutSpec spec = new RolloutSpec();
        spec.source = new Source();
        spec.source.git = new GitSource();
        spec.source.git.url = gitUrl;
        spec.source.git.path = "apps/checkout";
        spec.workloadRef = new WorkloadRef();
        spec.workloadRef.name = "checkout";
        spec.strategy = new Strategy();
        spec.strategy.canary = new CanaryStrategy();
        spec.strategy.canary.trafficRouting = new TrafficRouting();
        spec.strategy.canary.trafficRouting.istio = new IstioTrafficRouting();
        spec.strategy.canary.trafficRouting.istio.virtualService = new VirtualServiceRef();
        spec.strategy.canary.trafficRouting.istio.virtualService.name = "checkout";
        spec.strategy.canary.trafficRouting.istio.virtualService.routes = List.of("primary");
        RolloutAnalysis analysis = new RolloutAnalysis();
        analysis.templates = List.of(new AnalysisTemplateRef("http-slo", false));
        CanaryStep analysisStep = new CanaryStep();
        analysisStep.analysis = analysis;
        spec.strategy.canary.steps = List.of(CanaryStep.weight(10), analysisStep, CanaryStep.weight(50));
        rollout.setSpec(spec);
        return rollout;
    }

    /**
     * Creates {@code rollout} as a user would (no generation set by the client), then writes the status that
     * {@code status} fills in, as the operator would; returns the rollout after the status update.
     */
    public static Rollout createWithStatus(io.fabric8.kubernetes.client.KubernetesClient client, Rollout rollout,
            java.util.function.Consumer<io.sluice.api.v1alpha1.RolloutStatus> status) {
        rollout.getMetadata().setGeneration(null);
        Rollout created = client.resource(rollout).create();
        created.setStatus(new io.sluice.api.v1alpha1.RolloutStatus());
        status.accept(created.getStatus());
        return client.resource(created).updateStatus();
    }

    /** The manifests of the checkout app as Git holds them. */
    public static java.util.Map<String, String> checkoutManifests() {
        return java.util.Map.of(
                "deployment.yaml", """
                        apiVersion: apps/v1
                        kind: Deployment
                        metadata: {name: checkout}
                        spec:
                          selector: {matchLabels: {app: checkout}}
                          template:
                            metadata: {labels: {app: checkout}}
                            spec: {containers: [{name: app, image: "checkout:1.0"}]}
                        """,
                "network.yaml", """
                        apiVersion: v1
                        kind: Service
                        metadata: {name: checkout}
                        spec: {selector: {app: checkout}, ports: [{port: 80}]}
                        ---
                        apiVersion: networking.istio.io/v1
                        kind: VirtualService
                        metadata: {name: checkout}
                        spec:
                          hosts: [checkout]
                          http:
                          - name: primary
                            route: [{destination: {host: checkout}}]
                        """);
    }

    /** The checkout manifests under apps/checkout/, running the given image. */
    public static java.util.Map<String, String> checkoutManifestsInRepo(String image) {
        java.util.Map<String, String> files = new java.util.HashMap<>();
        checkoutManifests().forEach((name, content) ->
                files.put("apps/checkout/" + name, content.replace("checkout:1.0", image)));
        return files;
    }

    /** Creates the AnalysisTemplate "http-slo" that the checkout Rollout's analysis step names. */
    public static void createAnalysisTemplate(io.fabric8.kubernetes.client.KubernetesClient client, String namespace) {
        client.resource(client.getKubernetesSerialization().unmarshal("""
                apiVersion: sluice.io/v1alpha1
                kind: AnalysisTemplate
                metadata: {name: http-slo, namespace: %s}
                spec: {metrics: [{name: error-rate, successCondition: result < 0.01, provider: {prometheus: {query: up}}}]}
                """.formatted(namespace), io.sluice.api.v1alpha1.AnalysisTemplate.class)).create();
    }

    public static io.sluice.api.v1alpha1.PromoteRequest promote(String id, boolean full) {
        io.sluice.api.v1alpha1.PromoteRequest request = new io.sluice.api.v1alpha1.PromoteRequest();
        request.id = id;
        request.full = full;
        return request;
    }

    public static io.sluice.api.v1alpha1.ActionRequest request(String id) {
        io.sluice.api.v1alpha1.ActionRequest request = new io.sluice.api.v1alpha1.ActionRequest();
        request.id = id;
        return request;
    }

    /**
     * Changes a Rollout's spec as a person would with kubectl: re-read and try again when the
     * operator wrote its status in between (409), a few times.
     */
    public static void editRollout(io.fabric8.kubernetes.client.KubernetesClient client, String namespace, String name,
            java.util.function.Consumer<Rollout> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                client.resources(Rollout.class).inNamespace(namespace).withName(name).edit(r -> {
                    change.accept(r);
                    return r;
                });
                return;
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 5) {
                    throw e;
                }
            }
        }
    }
}
