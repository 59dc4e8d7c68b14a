package io.sluice.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.analysis.ArgResolver;
import io.sluice.analysis.MeasurementException;
import io.sluice.analysis.ResolvedArgs;
import io.sluice.api.v1alpha1.AnalysisTemplate;
import io.sluice.api.v1alpha1.Metric;
import io.sluice.crd.CrdGeneration;
import io.sluice.crd.CrdSchemaValidator;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the demo delivers is valid as a user would apply it, and the demo's pods read their template as documented. */
class DemoExampleTest {
    private static final Path EXAMPLE = CrdGeneration.projectDir().resolve("examples/checkout");
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    @Test
    @SuppressWarnings("unchecked")
    void theDemoRolloutAndTemplatePassTheCrdValidation() throws IOException {
        Path crds = CrdGeneration.crdsDir();
        assertThat(new CrdSchemaValidator(crds.resolve("rollouts.sluice.io.yaml"))
                .validate(YAML.readValue(EXAMPLE.resolve("demo/rollout.yaml").toFile(), Map.class))).isEmpty();
        assertThat(new CrdSchemaValidator(crds.resolve("analysistemplates.sluice.io.yaml"))
                .validate(YAML.readValue(EXAMPLE.resolve("demo/analysis-template.yaml").toFile(), Map.class))).isEmpty();
    }

    @Test
    void theDemoQueriesMeasureTheCanaryBackend() throws IOException, MeasurementException {
        AnalysisTemplate template = SERIALIZATION.unmarshal(
                Files.readString(EXAMPLE.resolve("demo/analysis-template.yaml")), AnalysisTemplate.class);
        ResolvedArgs args = new ArgResolver((namespace, name, key) -> Optional.empty()).resolve("shop", template.getSpec().args);

        assertThat(template.getSpec().metrics).extracting(m -> m.name).containsExactly("error-rate", "p95-latency-ms");
        for (Metric metric : template.getSpec().metrics) {
            // the demo's canary backend is named after the Deployment it plays
            assertThat(ArgResolver.render(metric.provider.prometheus.query, args)).contains("backend=\"checkout-canary\"");
        }
    }

    @Test
    void podsBehaveAsTheirTemplateSays() throws IOException {
        Deployment deployment = SERIALIZATION.unmarshal(Files.readString(EXAMPLE.resolve("app/deployment.yaml")),
                Deployment.class);
        assertThat(SimulatedPods.behaviourOf(deployment))
                .isEqualTo(new SimulatedPods.Behaviour("ghcr.io/example/checkout:1.4.0", 0, 0));

        var container = deployment.getSpec().getTemplate().getSpec().getContainers().getFirst();
        container.setEnv(java.util.List.of(new io.fabric8.kubernetes.api.model.EnvVar(SimulatedPods.ERROR_RATE, "0.2", null),
                new io.fabric8.kubernetes.api.model.EnvVar(SimulatedPods.LATENCY_MS, "300", null)));
        SimulatedPods.Behaviour broken = SimulatedPods.behaviourOf(deployment);
        assertThat(broken).isEqualTo(new SimulatedPods.Behaviour("ghcr.io/example/checkout:1.4.0", 0.2, 300));
        assertThat(broken.describe()).isEqualTo(
                "ghcr.io/example/checkout:1.4.0 (answers 20% of requests with 500, adds 300 ms to every answer)");

        container.setEnv(java.util.List.of(new io.fabric8.kubernetes.api.model.EnvVar(SimulatedPods.ERROR_RATE, "lots", null)));
        assertThatThrownBy(() -> SimulatedPods.behaviourOf(deployment)).hasMessageContaining("DEMO_ERROR_RATE is not a number");
    }
}
