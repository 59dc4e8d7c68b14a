package io.sluice.sandbox;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Plays the kube-controller-manager's Deployment controller on the sandbox (mock) API, which has
 * none, for the `sluice run` sandbox and the tests. No pods exist: every
 * Deployment's status reports all its replicas updated and available for its current generation.
 * Deployments named in {@link #hold} stay unavailable, to test deadlines and availability gates.
 */
public final class SandboxDeploymentController implements AutoCloseable {
    private final KubernetesClient client;
    private final SharedIndexInformer<Deployment> informer;
    private final Set<String> held = ConcurrentHashMap.newKeySet();

    public SandboxDeploymentController(KubernetesClient client, String namespace) {
        this(client, client.apps().deployments().inNamespace(namespace));
    }

    /** Watches every namespace. */
    public SandboxDeploymentController(KubernetesClient client) {
        this(client, client.apps().deployments().inAnyNamespace());
    }

    private SandboxDeploymentController(KubernetesClient client,
            io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable<Deployment, ?, ?> deployments) {
        this.client = client;
        this.informer = deployments.inform(Informers.onAddOrUpdate(this::reconcile));
    }

    /** Keeps this Deployment unavailable (0 available pods) until {@link #release}. */
    public void hold(String name) {
        held.add(name);
        reconcileNamed(name);
    }

    public void release(String name) {
        held.remove(name);
        reconcileNamed(name);
    }

    private void reconcileNamed(String name) {
        informer.getStore().list().stream().filter(d -> d.getMetadata().getName().equals(name)).findFirst()
                .ifPresent(this::reconcile);
    }

    private void reconcile(Deployment d) {
        int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        int available = held.contains(d.getMetadata().getName()) ? 0 : replicas;
        var status = new DeploymentStatusBuilder()
                .withObservedGeneration(d.getMetadata().getGeneration())
                .withReplicas(replicas).withUpdatedReplicas(replicas)
                .withReadyReplicas(available).withAvailableReplicas(available)
                .build();
        if (Objects.equals(status, d.getStatus())) {
            return;
        }
        Deployment copy = client.getKubernetesSerialization().clone(d);
        copy.setStatus(status);
        try {
            client.apps().deployments().inNamespace(d.getMetadata().getNamespace()).resource(copy).updateStatus();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            // a newer version is on its way through the informer and will be reconciled
        }
    }

    @Override
    public void close() {
        informer.close();
    }
}
