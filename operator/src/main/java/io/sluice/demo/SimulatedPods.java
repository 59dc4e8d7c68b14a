package io.sluice.demo;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.sluice.demo.dataplane.TestBackend;
import io.sluice.sandbox.Informers;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Plays the kubelet for the demo: no container runs, so the "pods" of a Deployment are a
 * {@link TestBackend} that behaves as the Deployment's pod template says. Its first container's
 * environment decides: {@value #ERROR_RATE} (fraction of requests answered with 500) and
 * {@value #LATENCY_MS} (added milliseconds per answer); absent, the version is healthy and fast.
 * <p>
 * A release in Git therefore decides how its canary behaves, exactly as a new image would; the
 * operator sees nothing of this and judges the canary only by what Prometheus measures.
 */
public final class SimulatedPods implements AutoCloseable {
    static final String ERROR_RATE = "DEMO_ERROR_RATE";
    static final String LATENCY_MS = "DEMO_LATENCY_MS";

    /** What one Deployment's pod template asks its pods to do. */
    record Behaviour(String image, double errorRate, long latencyMillis) {
        String describe() {
            if (errorRate == 0 && latencyMillis == 0) {
                return image + " (healthy)";
            }
            StringBuilder text = new StringBuilder(image).append(" (");
            if (errorRate > 0) {
                text.append(String.format("answers %.0f%% of requests with 500", errorRate * 100));
            }
            if (latencyMillis > 0) {
                text.append(errorRate > 0 ? ", " : "").append("adds ").append(latencyMillis).append(" ms to every answer");
            }
            return text.append(')').toString();
        }
    }

    private final KubernetesClient client;
    private final String namespace;
    private final Map<String, TestBackend> backendsByDeployment;
    private final Map<String, String> roleByDeployment;
    private final DemoOutput output;
    private final Map<String, Behaviour> applied = new ConcurrentHashMap<>();
    private final SharedIndexInformer<Deployment> informer;

    /**
     * @param backendsByDeployment the backend playing each Deployment's pods, e.g. {@code checkout-canary}
     * @param roleByDeployment how to call them in the narration, e.g. "canary"
     */
    /** Narrating on {@code out}: for a test that plays pods with real backends, as the demo does. */
    public SimulatedPods(KubernetesClient client, String namespace, Map<String, TestBackend> backendsByDeployment,
            Map<String, String> roleByDeployment, java.io.PrintStream out) {
        this(client, namespace, backendsByDeployment, roleByDeployment, new DemoOutput(out, java.time.Clock.systemUTC()));
    }

    SimulatedPods(KubernetesClient client, String namespace, Map<String, TestBackend> backendsByDeployment,
            Map<String, String> roleByDeployment, DemoOutput output) {
        this.client = client;
        this.namespace = namespace;
        this.backendsByDeployment = Map.copyOf(backendsByDeployment);
        this.roleByDeployment = Map.copyOf(roleByDeployment);
        this.output = output;
        this.informer = client.apps().deployments().inNamespace(namespace)
                .inform(Informers.onAddOrUpdate(this::apply));
    }

    private void apply(Deployment deployment) {
        String name = deployment.getMetadata().getName();
        TestBackend backend = backendsByDeployment.get(name);
        if (backend == null) {
            return;
        }
        Behaviour behaviour;
        try {
            behaviour = behaviourOf(deployment, this::configMapData);
        } catch (IllegalArgumentException e) {
            output.line("%s pods cannot run this template: %s", roleByDeployment.get(name), e.getMessage());
            return;
        }
        if (Objects.equals(applied.put(name, behaviour), behaviour)) {
            return;
        }
        backend.setErrorRate(behaviour.errorRate());
        backend.setLatency(Duration.ofMillis(behaviour.latencyMillis()));
        output.line("%s pods now run %s", roleByDeployment.get(name), behaviour.describe());
    }

    /** The data of a ConfigMap of the namespace, as a pod would read it; empty when there is none. */
    private Map<String, String> configMapData(String name) {
        var configMap = client.configMaps().inNamespace(namespace).withName(name).get();
        return configMap == null || configMap.getData() == null ? Map.of() : configMap.getData();
    }

    static Behaviour behaviourOf(Deployment deployment) {
        return behaviourOf(deployment, name -> Map.of());
    }

    /**
     * @param configMaps the data of a ConfigMap by name: the environment may come from ConfigMaps (envFrom,
     *                   valueFrom.configMapKeyRef), as a kubelet would resolve it
     */
    static Behaviour behaviourOf(Deployment deployment, java.util.function.Function<String, Map<String, String>> configMaps) {
        List<Container> containers = deployment.getSpec().getTemplate().getSpec().getContainers();
        if (containers == null || containers.isEmpty()) {
            throw new IllegalArgumentException("it has no container");
        }
        Container container = containers.getFirst();
        Map<String, String> environment = new java.util.HashMap<>();
        for (var from : container.getEnvFrom() == null ? List.<io.fabric8.kubernetes.api.model.EnvFromSource>of()
                : container.getEnvFrom()) {
            if (from.getConfigMapRef() != null) {
                environment.putAll(configMaps.apply(from.getConfigMapRef().getName()));
            }
        }
        for (EnvVar env : container.getEnv() == null ? List.<EnvVar>of() : container.getEnv()) {
            var ref = env.getValueFrom() == null ? null : env.getValueFrom().getConfigMapKeyRef();
            environment.put(env.getName(), ref == null ? env.getValue() : configMaps.apply(ref.getName()).get(ref.getKey()));
        }
        double errorRate = 0;
        long latency = 0;
        for (String name : List.of(ERROR_RATE, LATENCY_MS)) {
            if (!environment.containsKey(name)) {
                continue;
            }
            String value = environment.get(name);
            try {
                if (ERROR_RATE.equals(name)) {
                    errorRate = Double.parseDouble(value);
                } else {
                    latency = Long.parseLong(value);
                }
            } catch (NumberFormatException | NullPointerException e) {
                throw new IllegalArgumentException(name + " is not a number: " + value);
            }
        }
        if (errorRate < 0 || errorRate > 1 || latency < 0) {
            throw new IllegalArgumentException(ERROR_RATE + " must be within [0, 1] and " + LATENCY_MS
                    + " not negative");
        }
        return new Behaviour(container.getImage(), errorRate, latency);
    }

    @Override
    public void close() {
        informer.close();
    }
}
