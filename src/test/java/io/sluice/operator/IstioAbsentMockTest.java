package io.sluice.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.core.RolloutFixtures;
import io.sluice.testing.kube.OperatorOnMockApiWithoutIstio;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * On a cluster that does not serve Istio's VirtualService API, the operator starts and reconciles without its
 * VirtualService watch (an informer on an API that is not there would keep it from starting).
 */
@QuarkusTest
@QuarkusTestResource(value = OperatorOnMockApiWithoutIstio.class, restrictToAnnotatedClass = true)
class IstioAbsentMockTest {
    @Inject
    KubernetesClient client;
    @Inject
    Operator operator;

    @Test
    void withoutIstiosApiTheOperatorStartsAndReconcilesWithoutTheVirtualServiceWatch() {
        assertThat(client.getApiResources("networking.istio.io/v1")).as("the API server serves no Istio kinds").isNull();
        Rollout rollout = RolloutFixtures.checkout("file:///nonexistent/repo.git");
        rollout.getMetadata().setNamespace("no-istio");
        rollout.getMetadata().setGeneration(null);
        client.resource(rollout).create();

        await().atMost(Duration.ofSeconds(20)).until(() -> {
            Rollout live = client.resources(Rollout.class).inNamespace("no-istio").withName(rollout.getMetadata().getName()).get();
            return live.getStatus() != null && live.getStatus().phase != null;
        });
        assertThat(operator.getRuntimeInfo().isStarted()).isTrue();
        assertThat(operator.getRuntimeInfo().getRegisteredController("rollout").getControllerHealthInfo()
                .eventSourceHealthIndicators().keySet())
                .as("event sources of the rollout controller").contains("deployments", "analysisruns")
                .doesNotContain("virtualservices");
    }
}
