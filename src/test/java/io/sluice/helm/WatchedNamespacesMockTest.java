package io.sluice.helm;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.core.RolloutFixtures;
import io.sluice.testing.kube.OperatorOnMockApi;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The operator started with the watched-namespaces properties the chart renders for
 * {@code watchNamespaces: [shop, payments]} reconciles Rollouts there and leaves other namespaces alone
 * (where, in a cluster, it would have no permission at all).
 */
@QuarkusTest
@QuarkusTestResource(OperatorOnMockApi.class)
@TestProfile(WatchedNamespacesMockTest.ChartNamespaces.class)
class WatchedNamespacesMockTest {

    /** The quarkus.operator-sdk.* properties of the rendered ConfigMap, as the operator's config. */
    public static class ChartNamespaces implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Properties rendered = RenderedChart.render("watchNamespaces: [shop, payments]\n").properties();
            Map<String, String> out = new TreeMap<>();
            rendered.stringPropertyNames().stream().filter(k -> k.startsWith("quarkus.operator-sdk."))
                    .forEach(k -> out.put(k, rendered.getProperty(k)));
            assertThat(out).as("rendered namespace properties").hasSize(2);
            return out;
        }
    }

    @Inject
    KubernetesClient client;

    @Test
    void onlyRolloutsInWatchedNamespacesAreReconciled() {
        // A repository that does not exist: a reconciled Rollout reports it in its status at once.
        Rollout watched = RolloutFixtures.checkout("file:///nonexistent/sluice-watched.git");
        Rollout ignored = RolloutFixtures.checkout("file:///nonexistent/sluice-ignored.git");
        ignored.getMetadata().setNamespace("elsewhere");
        client.resource(watched).create();
        client.resource(ignored).create();

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(status(watched)).isNotNull());
        // The watched one has been reconciled (and retried every second since); the other never is.
        await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(status(ignored)).isNull());
    }

    private Object status(Rollout r) {
        Rollout live = client.resources(Rollout.class).inNamespace(r.getMetadata().getNamespace())
                .withName(r.getMetadata().getName()).get();
        return live == null ? null : live.getStatus();
    }
}
