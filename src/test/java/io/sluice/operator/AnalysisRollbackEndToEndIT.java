package io.sluice.operator;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sluice.api.v1alpha1.AnalysisRun;
import io.sluice.api.v1alpha1.AnalysisTemplate;
import io.sluice.api.v1alpha1.AnalysisTemplateRef;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.Measurement;
import io.sluice.api.v1alpha1.Pause;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutAnalysis;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.core.RolloutFixtures;
import io.sluice.sandbox.SandboxDeploymentController;
import io.sluice.testing.dataplane.DataPlaneResource;
import io.sluice.demo.dataplane.LoadGenerator;
import io.sluice.demo.dataplane.VirtualServiceBridge;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.testing.kube.OperatorOnMockApi;
import io.sluice.testing.time.MutableClock;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The closed loop, everything real but the API server: HAProxy carries steady load to a stable and
 * a canary backend, Prometheus scrapes them, and the operator's analysis queries that Prometheus.
 * A canary answering 20% errors is rolled back on its own; a healthy one goes on.
 */
@QuarkusTest
@QuarkusTestResource(OperatorOnMockApi.class)
@QuarkusTestResource(DataPlaneResource.class)
class AnalysisRollbackEndToEndIT {
    private static final int RPS = 100;

    @Inject
    KubernetesClient client;
    @Inject
    MutableClock clock;

    @Test
    void aCanaryAnsweringTwentyPercentErrorsIsRolledBackOnItsOwn() throws Exception {
        DataPlaneResource.canary().setErrorRate(0.20);
        String namespace = "bad-canary";
        AtomicReference<Instant> backToStable = new AtomicReference<>();
        try (Scene scene = scene(namespace, RPS, 90);
             Watch watch = watchWeights(namespace, backToStable, clock)) {
            GitRepoFixture repo = scene.repo();
            VirtualServiceBridge bridge = scene.bridge();
            Rollout rollout = createRollout(repo, namespace);
            awaitPhase(namespace, RolloutPhase.Healthy);

            repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
            Rollout aborted = awaitPhase(namespace, RolloutPhase.Aborted, Duration.ofSeconds(60));

            assertThat(aborted.getStatus().abortedRevision.reason).isEqualTo("AnalysisFailed");
            assertThat(aborted.getStatus().abortedRevision.message).contains("error-rate").contains("result < 0.05");
            assertThat(events(namespace)).anySatisfy(e -> assertThat(e).contains("AnalysisFailed").contains("error-rate ="));
            bridge.awaitCanaryPercent(0, Duration.ofSeconds(10));
            assertThat(DataPlaneResource.haproxy().weight("canary")).isZero();

            // Prometheus sees the canary's request rate fall to zero.
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                    assertThat(DataPlaneResource.prometheus().query(
                            "sum(rate(haproxy_server_http_responses_total{proxy=\"app\",server=\"canary\"}[3s]))")
                            .singleValue()).hasValue(0.0));

            Instant breach = breachingMeasurement(namespace, aborted.getStatus().stepAnalysis == null
                    ? null : aborted.getStatus().stepAnalysis.name);
            System.out.printf("breaching measurement -> VirtualService at 100%% stable: %d ms (measured %s, written %s)%n",
                    Duration.between(breach, backToStable.get()).toMillis(), breach, backToStable.get());
            assertThat(backToStable.get()).isAfterOrEqualTo(breach);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    io.restassured.RestAssured.get("/q/metrics").then().extract().asString())
                    .containsPattern("sluice_analysis_runs_total\\{phase=\"Failed\"} [1-9]")
                    .containsPattern("sluice_analysis_measurement_value\\{metric=\"error-rate\",namespace=\"bad-canary\","
                            + "rollout=\"checkout\"} 0\\.(19|2)"));
            assertThat(rollout).isNotNull();
        } finally {
            DataPlaneResource.canary().setErrorRate(0);
        }
    }

    /**
     * A config change is a release, on the real data plane: a commit that changes only the ConfigMap the
     * pods read their environment from runs as a canary; the backends behave as the pods' config says
     * (SimulatedPods resolves envFrom like a kubelet), so the canary's 20% errors are measured in
     * Prometheus and it is rolled back, while stable's pods keep the old config and answer without errors.
     */
    @Test
    void aConfigOnlyReleaseIsACanaryWithItsOwnConfigAndIsRolledBackWhenItFails() throws Exception {
        String namespace = "config-release";
        try (Scene scene = scene(namespace, RPS, 90);
             var pods = new io.sluice.demo.SimulatedPods(client, namespace,
                     Map.of("checkout-stable", DataPlaneResource.stable(), "checkout-canary", DataPlaneResource.canary()),
                     Map.of("checkout-stable", "stable", "checkout-canary", "canary"), System.out)) {
            GitRepoFixture repo = scene.repo();
            createRollout(repo, namespace, ERROR_RATE, configuredCheckout("0"));
            await().atMost(Duration.ofSeconds(30)).until(() -> get(namespace).getStatus() != null
                    && get(namespace).getStatus().phase == RolloutPhase.Healthy
                    && !configMapsUsedBy(namespace, "checkout-stable").isEmpty());
            java.util.Set<String> stableConfig = configMapsUsedBy(namespace, "checkout-stable");

            repo.commit("only the config: DEMO_ERROR_RATE 0.2", configuredCheckout("0.2"));
            await().atMost(Duration.ofSeconds(20)).until(() -> get(namespace).getStatus().canaryRevision != null);
            java.util.Set<String> canaryConfig = configMapsUsedBy(namespace, "checkout-canary");
            assertThat(canaryConfig).as("the canary reads its own copy").isNotEmpty().doesNotContainAnyElementsOf(stableConfig);
            assertThat(configMapsUsedBy(namespace, "checkout-stable")).as("stable's pods keep theirs").isEqualTo(stableConfig);

            Rollout aborted = awaitPhase(namespace, RolloutPhase.Aborted, Duration.ofSeconds(60));
            assertThat(aborted.getStatus().abortedRevision.reason).isEqualTo("AnalysisFailed");
            assertThat(aborted.getStatus().abortedRevision.message).contains("error-rate");
            scene.bridge().awaitCanaryPercent(0, Duration.ofSeconds(10));
            assertThat(DataPlaneResource.haproxy().weight("canary")).isZero();
            assertThat(DataPlaneResource.prometheus().query(
                    "sum(rate(sluice_test_requests_total{backend=\"stable\",code=\"500\"}[30s])) or on() vector(0)")
                    .singleValue()).as("stable answered without errors all along").hasValue(0.0);

            clock.advance(Duration.ofMinutes(1)); // past abortScaleDownDelaySeconds
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(canaryConfig).allSatisfy(name ->
                    assertThat(client.configMaps().inNamespace(namespace).withName(name).get())
                            .as("the canary's copy %s is removed", name).isNull()));
            assertThat(configMapsUsedBy(namespace, "checkout-stable")).isEqualTo(stableConfig);
            assertThat(client.configMaps().inNamespace(namespace).withName("checkout-config").get().getData())
                    .as("the ConfigMap under its own name is still stable's").containsEntry("DEMO_ERROR_RATE", "0");
        } finally {
            DataPlaneResource.canary().setErrorRate(0);
            DataPlaneResource.stable().setErrorRate(0);
        }
    }

    /** The checkout app whose pods take their environment from ConfigMap checkout-config. */
    private static Map<String, String> configuredCheckout(String errorRate) {
        Map<String, String> files = RolloutFixtures.checkoutManifestsInRepo("checkout:1.0");
        files.put("apps/checkout/deployment.yaml", """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: checkout}
                spec:
                  selector: {matchLabels: {app: checkout}}
                  template:
                    metadata: {labels: {app: checkout}}
                    spec:
                      containers:
                      - {name: app, image: "checkout:1.0", envFrom: [{configMapRef: {name: checkout-config}}]}
                """);
        files.put("apps/checkout/config.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: checkout-config}\n"
                + "data: {DEMO_ERROR_RATE: \"" + errorRate + "\"}\n");
        return files;
    }

    private java.util.Set<String> configMapsUsedBy(String namespace, String deployment) {
        var d = client.apps().deployments().inNamespace(namespace).withName(deployment).get();
        if (d == null) {
            return java.util.Set.of();
        }
        return d.getSpec().getTemplate().getSpec().getContainers().stream()
                .flatMap(c -> c.getEnvFrom() == null ? java.util.stream.Stream.empty() : c.getEnvFrom().stream())
                .filter(e -> e.getConfigMapRef() != null).map(e -> e.getConfigMapRef().getName())
                .collect(java.util.stream.Collectors.toSet());
    }

    /**
     * A rolled-back revision stays pinned: the operator keeps reconciling the Rollout (the delayed
     * scale-down, a spec edit, Git polled every second) without running that commit again, until a
     * person asks for `retry`; after that, a newer commit starts a canary of its own.
     */
    @Test
    void aRolledBackRevisionIsNotRetriedUntilRetryOrANewerCommit() throws Exception {
        DataPlaneResource.canary().setErrorRate(0.20);
        String namespace = "pinned-canary";
        try (Scene scene = scene(namespace, RPS, 150)) {
            GitRepoFixture repo = scene.repo();
            VirtualServiceBridge bridge = scene.bridge();
            createRollout(repo, namespace);
            RolloutFixtures.editRollout(client, namespace, "checkout",
                    r -> r.getSpec().strategy.canary.abortScaleDownDelaySeconds = 2);
            awaitPhase(namespace, RolloutPhase.Healthy);

            String v2 = repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
            Rollout aborted = awaitPhase(namespace, RolloutPhase.Aborted, Duration.ofSeconds(60));
            assertThat(aborted.getStatus().abortedRevision.revision).isEqualTo(v2);
            assertThat(aborted.getStatus().abortedRevision.reason).isEqualTo("AnalysisFailed");
            bridge.awaitCanaryPercent(0, Duration.ofSeconds(10));

            // The operator looks again (scale-down after the delay, then a spec edit) and leaves v2 alone.
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(events(namespace))
                    .anySatisfy(e -> assertThat(e).startsWith("CanaryScaledDown")));
            RolloutFixtures.editRollout(client, namespace, "checkout", r -> r.getSpec().progressDeadlineSeconds = 900);
            await().atMost(Duration.ofSeconds(10)).until(() -> get(namespace).getStatus().observedGeneration
                    .equals(get(namespace).getMetadata().getGeneration()));
            // Five Git polls at the Rollout's 1 s interval, all the while Aborted with a single analysis.
            await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(7)).until(() ->
                    get(namespace).getStatus().phase == RolloutPhase.Aborted && analysisRuns(namespace).size() == 1);
            Rollout pinned = get(namespace);
            assertThat(pinned.getStatus().phase).isEqualTo(RolloutPhase.Aborted);
            assertThat(pinned.getStatus().abortedRevision.revision).isEqualTo(v2);
            assertThat(pinned.getStatus().message).contains("not run again until a commit changes its workload");
            assertThat(analysisRuns(namespace)).as("no second analysis of the pinned revision").hasSize(1);
            assertThat(events(namespace)).noneSatisfy(e -> assertThat(e).startsWith("RetryStarted"));
            assertThat(client.apps().deployments().inNamespace(namespace).withName("checkout-canary").get()
                    .getSpec().getReplicas()).isZero();
            assertThat(DataPlaneResource.haproxy().weight("canary")).isZero();

            // retry: the same revision again from the first step; the canary is healthy now and passes.
            DataPlaneResource.canary().setErrorRate(0.001);
            RolloutFixtures.editRollout(client, namespace, "checkout", r -> r.getSpec().retry = RolloutFixtures.request("r1"));
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                Rollout retried = get(namespace);
                assertThat(retried.getStatus().canaryRevision).isEqualTo(v2);
                assertThat(retried.getStatus().abortedRevision).isNull();
                assertThat(retried.getStatus().currentStepIndex).isEqualTo(3);
            });
            assertThat(events(namespace)).anySatisfy(e -> assertThat(e).startsWith("RetryStarted"));
            assertThat(analysisRuns(namespace)).hasSize(2);
            bridge.awaitCanaryPercent(60, Duration.ofSeconds(10));

            // A newer commit replaces the retried canary with one of its own, from the first step.
            String v3 = repo.commit("checkout 1.2", RolloutFixtures.checkoutManifestsInRepo("checkout:1.2"));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                Rollout next = get(namespace);
                assertThat(next.getStatus().canaryRevision).isEqualTo(v3);
                assertThat(next.getStatus().stableRevision).isNotEqualTo(v2).isNotEqualTo(v3);
            });
        } finally {
            DataPlaneResource.canary().setErrorRate(0);
        }
    }

    @Test
    void aHealthyCanaryPassesItsAnalysisAndIsPromoted() throws Exception {
        DataPlaneResource.canary().setErrorRate(0.001);
        String namespace = "good-canary";
        try (Scene scene = scene(namespace, RPS, 90)) {
            GitRepoFixture repo = scene.repo();
            VirtualServiceBridge bridge = scene.bridge();
            createRollout(repo, namespace);
            awaitPhase(namespace, RolloutPhase.Healthy);

            String v2 = repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
            await().atMost(Duration.ofSeconds(60)).until(() -> get(namespace).getStatus().currentStepIndex != null
                    && get(namespace).getStatus().currentStepIndex == 3);
            bridge.awaitCanaryPercent(60, Duration.ofSeconds(10));
            assertThat(events(namespace)).anySatisfy(e -> assertThat(e).contains("AnalysisSucceeded"));

            RolloutFixtures.editRollout(client, namespace, "checkout", r -> {
                r.getSpec().promote = RolloutFixtures.promote("done", true);
            });
            Rollout promoted = awaitPhase(namespace, RolloutPhase.Healthy);
            assertThat(promoted.getStatus().stableRevision).isEqualTo(v2);
            bridge.awaitCanaryPercent(0, Duration.ofSeconds(10));
        } finally {
            DataPlaneResource.canary().setErrorRate(0);
        }
    }

    /**
     * The README's bound, measured from the moment the fault starts rather than from the breaching measurement: a
     * canary that has been healthy for a while starts answering a fraction e of errors in the middle of its
     * analysis, and the VirtualService must be back at 100% stable within
     * <pre>  w × θ / e + s + i × (f + 1) + r</pre>
     * w the query's rate window, θ the threshold of its condition, s the scrape interval, i the analysis interval,
     * f its failureLimit, r one reconcile (the verdict written, the brake's VirtualService write, the watch event).
     * A rate over w still averages the time before the fault: it reads about e × (fault time scraped) / w, so it
     * passes θ only once w × θ / e of the fault has been scraped, which a scrape shows up to s late; the next
     * measurement comes up to i later, and f more failed measurements, i apart, are needed before the verdict. The
     * figures are printed for the CI log. Here 10 × 0.05 / 0.2 + 1 + 3 × 2 + 0.5 = 10 s; the bound without the
     * window's term (7.5 s) is exceeded when the fault starts just after a measurement.
     */
    @Test
    void aFaultStartingMidAnalysisIsRolledBackWithinTheRateWindowsDelayPlusIntervalTimesFailureLimitPlusOne() throws Exception {
        Duration window = Duration.ofSeconds(10); // w, the query's rate window
        double threshold = 0.05; // θ
        double errorFraction = 0.20; // e
        Duration interval = Duration.ofSeconds(3); // i
        int failureLimit = 1; // f
        Duration scrape = Duration.ofSeconds(1); // s, PrometheusFixture's scrape_interval
        Duration reconcile = Duration.ofMillis(500); // r
        Duration dilution = Duration.ofMillis(Math.round(window.toMillis() * threshold / errorFraction));
        Duration firstBreachBound = dilution.plus(scrape).plus(interval).plus(reconcile);
        Duration bound = dilution.plus(scrape).plus(interval.multipliedBy(failureLimit + 1)).plus(reconcile);
        int rps = 400;
        DataPlaneResource.canary().setErrorRate(0);
        String namespace = "fault-mid-analysis";
        AtomicReference<Instant> backToStable = new AtomicReference<>();
        try (Scene scene = scene(namespace, rps, 120);
             Watch watch = watchWeights(namespace, backToStable, Clock.systemUTC())) {
            GitRepoFixture repo = scene.repo();
            VirtualServiceBridge bridge = scene.bridge();
            createRollout(repo, namespace, """
                      - name: error-rate
                        initialDelay: 4s
                        interval: %ds
                        count: 40
                        failureLimit: %d
                        successCondition: result < %s
                        provider:
                          prometheus:
                            query: >-
                              (sum(rate(sluice_test_requests_total{backend="{{args.backend}}",code="500"}[%ds])) or on() vector(0))
                              / sum(rate(sluice_test_requests_total{backend="{{args.backend}}"}[%ds]))
                    """.formatted(interval.toSeconds(), failureLimit, threshold, window.toSeconds(), window.toSeconds()));
            awaitPhase(namespace, RolloutPhase.Healthy);
            repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));

            // The canary carries traffic and has passed a few measurements: it is healthy, mid-analysis, and has
            // had its traffic for longer than the rate window.
            await().atMost(Duration.ofSeconds(60)).until(() -> successfulMeasurements(namespace) >= 4);
            bridge.awaitCanaryPercent(20, Duration.ofSeconds(5));
            Thread.sleep(ThreadLocalRandom.current().nextLong(interval.toMillis())); // the fault starts at any point of an interval
            Instant faultStart = Instant.now();
            Instant faultStartForOperator = clock.instant(); // measurements are stamped in the operator's clock
            DataPlaneResource.canary().setErrorRate(errorFraction);

            Rollout aborted = awaitPhase(namespace, RolloutPhase.Aborted, Duration.ofSeconds(30));
            await().atMost(Duration.ofSeconds(5)).until(() -> backToStable.get() != null);
            Duration reaction = Duration.between(faultStart, backToStable.get());
            List<Measurement> measurements = client.resources(AnalysisRun.class).inNamespace(namespace).list().getItems()
                    .stream().flatMap(run -> run.getStatus().metricResults.getFirst().measurements.stream()).toList();
            measurements.forEach(m -> System.out.printf("  measurement %s..%s %s %s (fault at %s)%n",
                    m.startedAt, m.finishedAt, m.phase, m.value, faultStartForOperator));
            Measurement firstBreach = measurements.stream().filter(m -> "Failed".equals(String.valueOf(m.phase)))
                    .filter(m -> !Instant.parse(m.finishedAt).isBefore(faultStartForOperator)).findFirst()
                    .orElseThrow(() -> new AssertionError("no failed measurement after the fault: " + measurements));
            Duration toFirstBreach = Duration.between(faultStartForOperator, Instant.parse(firstBreach.finishedAt));
            Measurement verdict = measurements.stream().filter(m -> "Failed".equals(String.valueOf(m.phase)))
                    .reduce((a, b) -> b).orElseThrow();
            System.out.printf("fault start -> first breaching measurement: %d ms (value %s; bound w %ds x threshold %s / "
                    + "error fraction %s + scrape %ds + interval %ds + reconcile %d ms = %d ms)%n", toFirstBreach.toMillis(),
                    firstBreach.value, window.toSeconds(), threshold, errorFraction, scrape.toSeconds(), interval.toSeconds(),
                    reconcile.toMillis(), firstBreachBound.toMillis());
            System.out.printf("fault start -> VirtualService at 100%% stable: %d ms (bound w %ds x threshold %s / error "
                    + "fraction %s + scrape %ds + interval %ds x (failureLimit %d + 1) + reconcile %d ms = %d ms); "
                    + "verdict measurement -> 100%% stable: %d ms%n", reaction.toMillis(), window.toSeconds(), threshold,
                    errorFraction, scrape.toSeconds(), interval.toSeconds(), failureLimit, reconcile.toMillis(),
                    bound.toMillis(), Duration.between(Instant.parse(verdict.finishedAt), backToStable.get().plus(Duration.between(faultStart,
                    faultStartForOperator))).toMillis());
            assertThat(aborted.getStatus().abortedRevision.reason).isEqualTo("AnalysisFailed");
            assertThat(aborted.getStatus().abortedRevision.message).contains("error-rate").contains("result < " + threshold);
            assertThat(toFirstBreach).as("fault -> first breaching measurement").isPositive()
                    .isLessThanOrEqualTo(firstBreachBound);
            assertThat(reaction).as("fault -> VirtualService at 100% stable").isPositive().isLessThanOrEqualTo(bound);
            bridge.awaitCanaryPercent(0, Duration.ofSeconds(5));
        } finally {
            DataPlaneResource.canary().setErrorRate(0);
        }
    }

    private int successfulMeasurements(String namespace) {
        return client.resources(AnalysisRun.class).inNamespace(namespace).list().getItems().stream()
                .filter(r -> r.getStatus() != null && r.getStatus().metricResults != null)
                .flatMap(r -> r.getStatus().metricResults.stream())
                .mapToInt(m -> m.successful == null ? 0 : m.successful).sum();
    }

    private static final String ERROR_RATE = """
              - name: error-rate
                initialDelay: 8s
                interval: 2s
                count: 3
                failureLimit: 1
                successCondition: result < 0.05
                provider:
                  prometheus:
                    query: >-
                      (sum(rate(sluice_test_requests_total{backend="{{args.backend}}",code="500"}[8s])) or on() vector(0))
                      / sum(rate(sluice_test_requests_total{backend="{{args.backend}}"}[8s]))
            """;

    @Test
    void aSlowCanaryBreachingItsLatencySloIsRolledBack() throws Exception {
        DataPlaneResource.canary().setLatency(Duration.ofMillis(150));
        String namespace = "slow-canary";
        try (Scene scene = scene(namespace, RPS, 90)) {
            GitRepoFixture repo = scene.repo();
            VirtualServiceBridge bridge = scene.bridge();
            createRollout(repo, namespace, """
                      - name: p95-latency
                        initialDelay: 8s
                        interval: 2s
                        count: 3
                        failureLimit: 1
                        successCondition: result < 0.1
                        provider:
                          prometheus:
                            query: >-
                              histogram_quantile(0.95, sum by (le) (rate(sluice_test_request_duration_seconds_bucket{backend="{{args.backend}}"}[8s])))
                    """);
            awaitPhase(namespace, RolloutPhase.Healthy);
            repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));

            Rollout aborted = awaitPhase(namespace, RolloutPhase.Aborted, Duration.ofSeconds(60));
            assertThat(aborted.getStatus().abortedRevision.reason).isEqualTo("AnalysisFailed");
            assertThat(aborted.getStatus().abortedRevision.message).contains("p95-latency").contains("result < 0.1");
            bridge.awaitCanaryPercent(0, Duration.ofSeconds(10));
        } finally {
            DataPlaneResource.canary().setLatency(Duration.ZERO);
        }
    }

    @Test
    void anUnreachablePrometheusCountsErrorsAndTheErrorLimitRollsBack() throws Exception {
        String namespace = "no-prometheus";
        try (Scene scene = scene(namespace, 0, 0)) {
            GitRepoFixture repo = scene.repo();
            createRollout(repo, namespace, """
                      - name: error-rate
                        interval: 1s
                        count: 3
                        consecutiveErrorLimit: 2
                        successCondition: result < 0.05
                        provider:
                          prometheus:
                            provider: unreachable
                            query: sum(rate(sluice_test_requests_total{backend="{{args.backend}}"}[8s]))
                    """);
            awaitPhase(namespace, RolloutPhase.Healthy);
            repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));

            Rollout aborted = awaitPhase(namespace, RolloutPhase.Aborted, Duration.ofSeconds(60));
            assertThat(aborted.getStatus().abortedRevision.reason).isEqualTo("AnalysisFailed");
            assertThat(aborted.getStatus().abortedRevision.message).contains("error");
            AnalysisRun run = client.resources(AnalysisRun.class).inNamespace(namespace).list().getItems().getFirst();
            assertThat(run.getStatus().phase.name()).isEqualTo("Error");
            assertThat(run.getStatus().metricResults.getFirst().error).as("errors counted").isEqualTo(3);
            assertThat(run.getStatus().metricResults.getFirst().count).as("no measurement counted").isZero();
        }
    }

    @Test
    void aCanaryWithoutTrafficIsNeverASilentPass() throws Exception {
        String namespace = "no-traffic";
        try (Scene scene = scene(namespace, 0, 0)) {
            GitRepoFixture repo = scene.repo();
            // no load at all: the canary serves nothing, its error ratio is 0/0
            createRollout(repo, namespace, """
                      - name: error-rate
                        interval: 1s
                        count: 3
                        successCondition: result < 0.05
                        provider:
                          prometheus:
                            query: >-
                              sum(rate(sluice_test_requests_total{backend="nobody",code="500"}[8s]))
                              / sum(rate(sluice_test_requests_total{backend="nobody"}[8s]))
                    """);
            awaitPhase(namespace, RolloutPhase.Healthy);
            repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));

            Rollout paused = awaitPhase(namespace, RolloutPhase.Paused, Duration.ofSeconds(60));
            assertThat(paused.getStatus().message).contains("inconclusive").contains("no data");
            assertThat(paused.getStatus().stableRevision).isNotEqualTo(paused.getStatus().canaryRevision);
        }
    }

    private Rollout createRollout(GitRepoFixture repo, String namespace) {
        return createRollout(repo, namespace, ERROR_RATE);
    }

    private Rollout createRollout(GitRepoFixture repo, String namespace, String metricYaml) {
        return createRollout(repo, namespace, metricYaml, RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
    }

    private Rollout createRollout(GitRepoFixture repo, String namespace, String metricYaml, Map<String, String> first) {
        client.resource(client.getKubernetesSerialization().unmarshal("""
                apiVersion: sluice.io/v1alpha1
                kind: AnalysisTemplate
                metadata: {name: http-slo, namespace: %s}
                spec:
                  args: [{name: backend, value: canary}]
                  metrics:
                %s""".formatted(namespace, metricYaml), AnalysisTemplate.class)).create();
        repo.commit("checkout 1.0", first);
        Rollout rollout = RolloutFixtures.checkout(repo.fileUrl());
        rollout.getMetadata().setNamespace(namespace);
        rollout.getMetadata().setGeneration(null);
        rollout.getSpec().source.git.interval = "1s";
        RolloutAnalysis analysis = new RolloutAnalysis();
        analysis.templates = List.of(new AnalysisTemplateRef("http-slo", false));
        CanaryStep analysisStep = new CanaryStep();
        analysisStep.analysis = analysis;
        CanaryStep hold = new CanaryStep();
        hold.pause = new Pause();
        rollout.getSpec().strategy.canary.steps = List.of(CanaryStep.weight(20), analysisStep, CanaryStep.weight(60), hold);
        return client.resource(rollout).create();
    }

    /**
     * One test's stage: a Git repository, the stand-in Deployment controller and the VirtualService
     * bridge for its namespace, and (when rps > 0) steady load through HAProxy for that many seconds.
     */
    private record Scene(GitRepoFixture repo, SandboxDeploymentController deployments, VirtualServiceBridge bridge,
                         LoadGenerator load) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            // in reverse order, each one even when another fails; no load (null) is skipped
            try (repo; deployments; bridge; load) {
            }
        }
    }

    private Scene scene(String namespace, int rps, int loadSeconds) {
        return new Scene(GitRepoFixture.create(), new SandboxDeploymentController(client, namespace), bridge(namespace),
                rps == 0 ? null : new LoadGenerator(DataPlaneResource.haproxy().trafficUrl(), rps,
                        Duration.ofSeconds(loadSeconds), (long) rps * loadSeconds).start());
    }

    private VirtualServiceBridge bridge(String namespace) {
        return new VirtualServiceBridge(client, namespace, "checkout", "primary",
                VirtualServiceBridge.Versions.byHost("checkout-stable", "checkout-canary"), DataPlaneResource.haproxy()).start();
    }

    /** Records, in the given clock, when the VirtualService first goes back to 0% canary after carrying some. */
    @SuppressWarnings("unchecked")
    private Watch watchWeights(String namespace, AtomicReference<Instant> backToStable, Clock clock) {
        return client.genericKubernetesResources("networking.istio.io/v1", "VirtualService").inNamespace(namespace)
                .watch(new Watcher<>() {
                    boolean hadTraffic;

                    @Override
                    public void eventReceived(Action action, GenericKubernetesResource vs) {
                        Instant seen = clock.instant();
                        Map<String, Object> spec = (Map<String, Object>) vs.getAdditionalProperties().get("spec");
                        List<Map<String, Object>> route = (List<Map<String, Object>>)
                                ((List<Map<String, Object>>) spec.get("http")).getFirst().get("route");
                        int canary = route.stream().filter(d -> "checkout-canary".equals(((Map<String, Object>) d.get("destination")).get("host")))
                                .mapToInt(d -> ((Number) d.getOrDefault("weight", 0)).intValue()).findFirst().orElse(0);
                        if (canary > 0) {
                            hadTraffic = true;
                        } else if (hadTraffic && backToStable.get() == null) {
                            backToStable.set(seen);
                        }
                    }

                    @Override
                    public void onClose(WatcherException cause) {
                    }
                });
    }

    /** When the measurement that breached the SLO finished, in the operator's clock. */
    private Instant breachingMeasurement(String namespace, String runName) {
        List<AnalysisRun> runs = client.resources(AnalysisRun.class).inNamespace(namespace).list().getItems();
        AnalysisRun run = runs.stream().filter(r -> runName == null || r.getMetadata().getName().equals(runName))
                .filter(r -> r.getStatus() != null && r.getStatus().phase != null && r.getStatus().phase.name().equals("Failed"))
                .findFirst().orElseThrow(() -> new AssertionError("no failed AnalysisRun in " + runs));
        List<Measurement> measurements = run.getStatus().metricResults.getFirst().measurements;
        System.out.println("measurements: " + measurements.stream().map(m -> m.phase + " " + m.value).toList());
        return Instant.parse(measurements.getLast().finishedAt);
    }

    private List<String> events(String namespace) {
        return client.v1().events().inNamespace(namespace).list().getItems().stream()
                .map(e -> e.getReason() + ": " + e.getMessage()).toList();
    }

    private List<AnalysisRun> analysisRuns(String namespace) {
        return client.resources(AnalysisRun.class).inNamespace(namespace).list().getItems();
    }

    private Rollout get(String namespace) {
        return client.resources(Rollout.class).inNamespace(namespace).withName("checkout").get();
    }

    private Rollout awaitPhase(String namespace, RolloutPhase phase) {
        return awaitPhase(namespace, phase, Duration.ofSeconds(30));
    }

    private Rollout awaitPhase(String namespace, RolloutPhase phase, Duration within) {
        await().atMost(within).untilAsserted(() -> assertThat(get(namespace).getStatus()).isNotNull()
                .as(() -> client.getKubernetesSerialization().asYaml(get(namespace).getStatus()))
                .extracting(s -> s.phase).isEqualTo(phase));
        return get(namespace);
    }
}
