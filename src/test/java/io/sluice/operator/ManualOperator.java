package io.sluice.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.SluiceConfig;
import io.sluice.source.jgit.JGitSource;
import io.sluice.testing.time.MutableClock;
import io.sluice.traffic.istio.IstioTrafficRouter;

import java.nio.file.Path;

/**
 * Everything an operator process holds, built by hand outside Quarkus, so a test can start a fresh
 * one at will (a restart) or call reconcile directly and deterministically.
 */
final class ManualOperator {
    final RolloutReconciler reconciler;
    final JGitSource git;
    final TrafficBrake brake;
    final RepositoryPoller poller;

    ManualOperator(KubernetesClient client, MutableClock clock, Path gitCache) {
        this(client, clock, TestConfig.of(gitCache));
    }

    ManualOperator(KubernetesClient client, MutableClock clock, SluiceConfig config) {
        git = new JGitSource(config, clock, new SimpleMeterRegistry());
        IstioTrafficRouter router = new IstioTrafficRouter(client);
        reconciler = new RolloutReconciler(client, git, new StatusWriter(client), new EventRecorder(client, clock),
                new DeliveryExecutor(client, new ClusterObjects(client), router), brake = new TrafficBrake(client, router),
                poller = new RepositoryPoller(git, clock),
                new RolloutMetrics(new SimpleMeterRegistry()), (notification, destinations) -> { }, config, clock);
    }
}
