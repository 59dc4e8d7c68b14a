package io.sluice.analysis;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.api.v1alpha1.AnalysisPhase;
import io.sluice.api.v1alpha1.AnalysisTemplate;
import io.sluice.api.v1alpha1.Metric;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The example a user copies first must render and judge as written. */
class ExampleTemplateTest {

    @Test
    void everyQueryRendersAndEveryConditionJudges() throws IOException, MeasurementException {
        Path file = Path.of(System.getProperty("sluice.project.dir", "."), "examples", "checkout", "analysis-template.yaml");
        AnalysisTemplate template = new KubernetesSerialization().unmarshal(Files.readString(file), AnalysisTemplate.class);
        ResolvedArgs args = new ArgResolver((namespace, name, key) -> Optional.empty()).resolve("shop", template.getSpec().args);
        ConditionEvaluator conditions = new ConditionEvaluator();

        assertThat(template.getSpec().metrics).isNotEmpty();
        for (Metric metric : template.getSpec().metrics) {
            assertThat(ArgResolver.render(metric.provider.prometheus.query, args)).contains("\"checkout-canary\"");
            if (metric.noData != null && metric.noData.trafficQuery != null) {
                assertThat(ArgResolver.render(metric.noData.trafficQuery, args)).contains("\"checkout-canary\"");
            }
            assertThat(conditions.evaluate(metric.successCondition, metric.failureCondition, new QueryValue.Single(0)).phase())
                    .as(metric.name).isNotEqualTo(AnalysisPhase.Error);
        }
    }
}
