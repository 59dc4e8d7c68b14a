package io.sluice.crd;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CRDs' validation (CEL rules and OpenAPI constraints), evaluated from the committed CRD files
 * against the examples and against broken variants of them. A real API server would reject the
 * broken ones with these messages; the mock API evaluates none of it.
 */
class CrdValidationRulesTest {
    private static final ObjectMapper YAML = new YAMLMapper();
    private static CrdSchemaValidator rollouts;
    private static CrdSchemaValidator templates;
    private static CrdSchemaValidator clusterTemplates;
    private static CrdSchemaValidator runs;

    @BeforeAll
    static void loadCrds() throws IOException {
        Path crds = CrdGeneration.crdsDir();
        rollouts = new CrdSchemaValidator(crds.resolve("rollouts.sluice.io.yaml"));
        templates = new CrdSchemaValidator(crds.resolve("analysistemplates.sluice.io.yaml"));
        clusterTemplates = new CrdSchemaValidator(crds.resolve("clusteranalysistemplates.sluice.io.yaml"));
        runs = new CrdSchemaValidator(crds.resolve("analysisruns.sluice.io.yaml"));
    }

    @Test
    void everyRuleCompilesAndTheKeyRulesExist() {
        assertThat(rollouts.rules()).extracting(io.sluice.sandbox.CrdSchemaValidator.Rule::path).contains(
                ".spec.source", ".spec.source.git", ".spec.strategy", ".spec.strategy.canary",
                ".spec.strategy.canary.steps[]", ".spec.strategy.canary.trafficRouting",
                ".spec.strategy.canary.trafficRouting.istio.destinationRule", ".status.conditions[]");
        assertThat(templates.rules()).extracting(io.sluice.sandbox.CrdSchemaValidator.Rule::path).contains(
                ".spec", ".spec.metrics[]", ".spec.metrics[].provider", ".spec.metrics[].noData");
        assertThat(clusterTemplates.rules()).hasSameSizeAs(templates.rules());
        assertThat(runs.rules()).isNotEmpty();
    }

    @Test
    void theExamplesAreValid() throws IOException {
        assertThat(rollouts.validate(example("rollout.yaml"))).isEmpty();
        assertThat(templates.validate(example("analysis-template.yaml"))).isEmpty();
        Map<String, Object> cluster = example("analysis-template.yaml");
        cluster.put("kind", "ClusterAnalysisTemplate");
        assertThat(clusterTemplates.validate(cluster)).isEmpty();
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', textBlock = """
            spec.strategy.canary.steps[1]                        | {pause: {duration: 30s}}
            spec.strategy.canary.steps[4]                        | {setWeight: 100}
            spec.strategy.canary.trafficRouting.istio.destinationRule | {name: checkout, stableSubsetName: stable, canarySubsetName: canary}
            spec.source.git.url                                  | git@github.com:shop/deploy.git
            spec.source.git.url                                  | ssh://git@git.example.com:2222/shop/deploy.git
            spec.source.git.url                                  | file:///srv/git/deploy.git
            spec.source.git.ref                                  | 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39
            spec.source.git.path                                 | apps/checkout/overlays/prod
            spec.strategy.canary.steps                           | []
            spec.paused                                          | true
            spec.promote                                         | {id: '2026-11-22T10:00:00Z', full: true}
            status                                               | {phase: Progressing, canaryWeight: 5, currentStepIndex: 1, conditions: [{type: SourceReady, status: 'True', reason: Fetched, lastTransitionTime: '2026-11-22T10:00:00Z'}]}
            """)
    void validRolloutVariantsAreAccepted(String path, String yaml) throws IOException {
        Map<String, Object> rollout = example("rollout.yaml");
        set(rollout, path, YAML.readValue(yaml, Object.class));
        assertThat(rollouts.validate(rollout)).isEmpty();
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', textBlock = """
            spec.strategy.canary.steps[0]                        | {setWeight: 5, pause: {}}                | each step must set exactly one of setWeight, pause, analysis
            spec.strategy.canary.steps[0]                        | {}                                       | each step must set exactly one of setWeight, pause, analysis
            spec.strategy.canary.steps[0].setWeight              | 101                                      | must be <= 100
            spec.strategy.canary.steps[0].setWeight              | -1                                       | must be >= 0
            spec.strategy.canary.steps[1].pause.duration         | 2 minutes                                | must match
            spec.strategy.canary.steps                           | [{analysis: {templates: [{name: http-slo}]}}] | a step analysis needs canary traffic
            spec.strategy.canary.steps[2].analysis.templates     | []                                       | must have at least 1 items
            spec.strategy.canary.steps[2].analysis.args          | [{name: a, value: x}, {name: a, value: y}] | args must not repeat a name
            spec.strategy.canary.steps[2].analysis.args          | [{name: a, value: x, valueFrom: {secretKeyRef: {name: s, key: k}}}] | set value or valueFrom, not both
            spec.strategy                                        | {}                                       | exactly one strategy must be set (canary)
            spec.strategy.canary.trafficRouting                  | {}                                       | exactly one traffic router must be set (istio)
            spec.strategy.canary.trafficRouting.istio.virtualService.routes | [primary, primary]            | routes must not repeat a name
            spec.strategy.canary.trafficRouting.istio.destinationRule | {name: checkout, stableSubsetName: v1, canarySubsetName: v1} | stableSubsetName and canarySubsetName must differ
            spec.strategy.canary.abortScaleDownDelaySeconds      | -5                                       | must be >= 0
            spec.source                                          | {}                                       | exactly one source must be set (git)
            spec.source.git.url                                  | ftp://git.example.com/deploy.git         | url must be an https://
            spec.source.git.url                                  | https://bob:s3cret@git.example.com/deploy.git | url must not carry credentials
            spec.source.git.path                                 | apps/../../etc                           | path must stay inside the repository
            spec.source.git.interval                             | every minute                             | must match
            spec.workloadRef.kind                                | StatefulSet                              | kind must be Deployment
            spec.workloadRef.name                                | Checkout_Service                         | must match
            spec.progressDeadlineSeconds                         | 0                                        | must be >= 1
            spec.promote                                         | {full: true}                             | id is required
            spec.workloadRef                                     | null                                     | workloadRef is required
            status.conditions                                    | [{type: SourceReady, status: 'Yes', reason: Fetched, lastTransitionTime: '2026-11-22T10:00:00Z'}] | status must be True, False or Unknown
            status.canaryWeight                                  | 250                                      | must be <= 100
            """)
    void invalidRolloutsAreRejectedWithAClearMessage(String path, String yaml, String expected) throws IOException {
        Map<String, Object> rollout = example("rollout.yaml");
        set(rollout, path, YAML.readValue(yaml, Object.class));
        assertThat(rollouts.validate(rollout)).anySatisfy(v -> assertThat(v).contains(expected));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', textBlock = """
            spec.metrics[0].successCondition                     | null                                     | a metric needs a successCondition, a failureCondition, or both
            spec.metrics[1].name                                 | error-rate                               | metric names must be unique
            spec.metrics[0].provider                             | {}                                       | exactly one provider must be set (prometheus)
            spec.metrics[0].failureLimit                         | -1                                       | must be >= 0
            spec.metrics[0].inconclusiveLimit                    | -1                                       | must be >= 0
            spec.metrics[0].consecutiveErrorLimit                | -1                                       | must be >= 0
            spec.metrics[0].count                                | 0                                        | must be >= 1
            spec.metrics[0].interval                             | 30 seconds                               | must match
            spec.metrics[0].noData                               | {trafficQuery: 'sum(up)'}                | trafficQuery and minTraffic go together
            spec.metrics[0].noData                               | {outcome: Maybe}                         | outcome must be Inconclusive, Failed or Successful
            spec.metrics[0].name                                 | Error_Rate                               | must match
            spec.metrics[0].provider.prometheus.query            | ""                                       | must be at least 1 characters
            spec.metrics                                         | []                                       | must have at least 1 items
            spec.args                                            | [{name: service, value: a}, {name: service, value: b}] | args must not repeat a name
            """)
    void invalidTemplatesAreRejectedWithAClearMessage(String path, String yaml, String expected) throws IOException {
        for (CrdSchemaValidator validator : List.of(templates, clusterTemplates)) {
            Map<String, Object> template = example("analysis-template.yaml");
            set(template, path, YAML.readValue(yaml, Object.class));
            assertThat(validator.validate(template)).anySatisfy(v -> assertThat(v).contains(expected));
        }
    }

    @Test
    void schemaDefaultsAreAppliedBeforeTheRules() throws IOException {
        // noData without outcome gets the default "Inconclusive", which the outcome rule accepts
        Map<String, Object> template = example("analysis-template.yaml");
        set(template, "spec.metrics[0].noData", Map.of("minSamples", 2));
        assertThat(templates.validate(template)).isEmpty();
    }

    @Test
    void analysisRunsRejectDuplicateMetrics() throws IOException {
        Map<String, Object> template = example("analysis-template.yaml");
        @SuppressWarnings("unchecked")
        List<Object> metrics = new ArrayList<>((List<Object>) ((Map<String, Object>) template.get("spec")).get("metrics"));
        metrics.add(metrics.getFirst());
        Map<String, Object> run = new LinkedHashMap<>(Map.of("apiVersion", "sluice.io/v1alpha1", "kind", "AnalysisRun",
                "metadata", Map.of("name", "checkout-1", "namespace", "shop"), "spec", Map.of("metrics", metrics)));
        assertThat(runs.validate(run)).anySatisfy(v -> assertThat(v).contains("metric names must be unique"));
        metrics.removeLast();
        assertThat(runs.validate(run)).isEmpty();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> example(String file) throws IOException {
        return YAML.readValue(CrdGeneration.projectDir().resolve("examples/checkout").resolve(file).toFile(), Map.class);
    }

    /** Sets (or with null removes) the value at a path like spec.steps[1].pause, creating maps on the way. */
    @SuppressWarnings("unchecked")
    private static void set(Map<String, Object> root, String path, Object value) {
        String[] parts = path.split("\\.");
        Object node = root;
        for (int i = 0; i < parts.length; i++) {
            Matcher indexed = java.util.regex.Pattern.compile("^(\\w+)\\[(\\d+)]$").matcher(parts[i]);
            boolean last = i == parts.length - 1;
            Map<String, Object> map = (Map<String, Object>) node;
            if (indexed.matches()) {
                List<Object> list = new ArrayList<>((List<Object>) map.get(indexed.group(1)));
                map.put(indexed.group(1), list);
                int index = Integer.parseInt(indexed.group(2));
                if (last) {
                    list.set(index, value);
                } else {
                    list.set(index, new LinkedHashMap<>((Map<String, Object>) list.get(index)));
                    node = list.get(index);
                }
            } else if (last) {
                if (value == null) {
                    map.remove(parts[i]);
                } else {
                    map.put(parts[i], value);
                }
            } else {
                Object child = map.get(parts[i]);
                Map<String, Object> copy = child == null ? new LinkedHashMap<>() : new LinkedHashMap<>((Map<String, Object>) child);
                map.put(parts[i], copy);
                node = copy;
            }
        }
    }
}
