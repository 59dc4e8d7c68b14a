package io.sluice.cli;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.api.v1alpha1.AnalysisPhase;
import io.sluice.api.v1alpha1.AnalysisRun;
import io.sluice.api.v1alpha1.AnalysisRunReference;
import io.sluice.api.v1alpha1.AnalysisRunSpec;
import io.sluice.api.v1alpha1.AnalysisRunStatus;
import io.sluice.api.v1alpha1.AnalysisTemplateRef;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.HandledRequests;
import io.sluice.api.v1alpha1.Measurement;
import io.sluice.api.v1alpha1.Metric;
import io.sluice.api.v1alpha1.MetricProvider;
import io.sluice.api.v1alpha1.MetricResult;
import io.sluice.api.v1alpha1.Pause;
import io.sluice.api.v1alpha1.PrometheusMetric;
import io.sluice.api.v1alpha1.RevisionOutcome;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutAnalysis;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.api.v1alpha1.RolloutStatus;
import io.sluice.core.RolloutFixtures;
import io.sluice.testing.kube.MockKubeApi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * kubectl-sluice against the mock API, run in-process with its own kubeconfig file. The Rollouts'
 * status is written by the test here, as the operator would; {@link KubectlSluiceOperatorMockTest}
 * shows the real operator acting on what the plugin requests.
 */
class KubectlSluiceMockTest {
    /** Not the common pool: with one worker on a 2-core machine a blocked task would starve the client's own futures. */
    private static final java.util.concurrent.ExecutorService BACKGROUND =
            java.util.concurrent.Executors.newCachedThreadPool(Thread.ofPlatform().daemon().factory());
    @RegisterExtension
    static final MockKubeApi API = MockKubeApi.start();
    private static final AtomicInteger NAMESPACES = new AtomicInteger();
    private static final Instant NOW = Instant.parse("2026-11-22T04:00:00Z");
    private static final String V1 = "1111111111aa1111111111111111111111111111";
    private static final String V2 = "2222222222bb2222222222222222222222222222";

    @TempDir
    Path dir;

    private KubernetesClient client;
    private String namespace;
    private Cli cli;

    @BeforeEach
    void setUp() {
        client = API.client();
        namespace = "shop" + NAMESPACES.incrementAndGet();
        cli = new Cli(Cli.writeKubeconfig(dir, API.server().url(), namespace), Clock.fixed(NOW, ZoneOffset.UTC));
    }

    // ---- status ---------------------------------------------------------------------------------

    @Test
    void statusShowsStepsWithTheCurrentOneMarkedTrafficAnalysisAndTheLatestEvents() {
        Rollout rollout = createRollout("checkout", s -> {
            s.phase = RolloutPhase.Paused;
            s.message = "waiting for `kubectl sluice promote` (step 2 of 4)";
            s.stableRevision = V1;
            s.canaryRevision = V2;
            s.currentStepIndex = 1;
            s.canaryWeight = 20;
            s.stableWeight = 80;
            s.backgroundAnalysis = new AnalysisRunReference();
            s.backgroundAnalysis.name = "checkout-22222222-bg-abc";
            s.backgroundAnalysis.phase = AnalysisPhase.Running;
        });
        createRun(rollout, "checkout-22222222-bg-abc", AnalysisPhase.Running, "error-rate", "0.0042", AnalysisPhase.Successful, 3);
        createRun(rollout, "checkout-11111111-bg-old", AnalysisPhase.Failed, "error-rate", "0.9", AnalysisPhase.Failed, 1);
        for (int i = 1; i <= 6; i++) {
            event(rollout, "Reason" + i, "message " + i, NOW.minus(Duration.ofMinutes(10 - i)));
        }
        event(rollout, "Unrelated", "about another rollout", NOW, "other");

        Cli.Result r = cli.run("status", "checkout");

        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains(
                "Name:      checkout",
                "Namespace: " + namespace,
                "Phase:     Paused",
                "Message:   waiting for `kubectl sluice promote` (step 2 of 4)",
                "Stable:    1111111111aa",
                "Canary:    2222222222bb",
                "Traffic:   canary 20% [####................] stable 80%",
                "Desired:   canary 20%",
                "Steps (step 2 of 4):\n"
                        + "  [x] 1. setWeight 20%\n"
                        + "  [>] 2. pause until promoted\n"
                        + "  [ ] 3. analysis http-slo\n"
                        + "  [ ] 4. setWeight 50%\n",
                "checkout-22222222-bg-abc (background): Running");
        assertThat(lineWith(r.out(), "error-rate")).as("the metric's last value against its condition, verdict and counts")
                .matches("\\s+error-rate\\s+0\\.0042\\s+ok if result < 0\\.01\\s+Successful\\s+3\\s+3\\s+0\\s+0\\s+0");
        assertThat(r.out()).as("runs of an older revision are not shown").doesNotContain("checkout-11111111-bg-old");
        assertThat(r.out()).contains("Events (latest 5):").doesNotContain("Reason1 ").contains("Reason2", "Reason6")
                .doesNotContain("Unrelated");
        assertThat(lineWith(r.out(), "Reason6")).matches("\\s+4m\\s+Normal\\s+Reason6\\s+message 6");
        assertThat(r.out().indexOf("Reason2")).as("oldest first").isLessThan(r.out().indexOf("Reason6"));
        assertThat(r.err()).isEmpty();
    }

    @Test
    void statusOfAHealthyRolloutMarksNoStepAndWantsNoCanaryTraffic() {
        createRollout("checkout", s -> {
            s.phase = RolloutPhase.Healthy;
            s.message = "revision 1111111111aa is stable and serves all traffic";
            s.stableRevision = V1;
            s.canaryWeight = 0;
            s.stableWeight = 100;
        });

        Cli.Result r = cli.run("status", "checkout", "-n", namespace);

        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("Phase:     Healthy", "Canary:    -", "Traffic:   canary 0% [....................] stable 100%",
                "Steps (no canary in flight):\n  [ ] 1. setWeight 20%", "Events:    none");
        assertThat(r.out()).doesNotContain("[>]", "Analysis:");
    }

    /** Issue 22.8: a commit held back by a pause was nowhere in the status. */
    @Test
    void statusShowsACommitWaitingBehindAPauseAndNoneOnceItStarted() {
        String v3 = "3333333333cc3333333333333333333333333333";
        createRollout("checkout", s -> {
            s.phase = RolloutPhase.Paused;
            s.message = "paused by spec.paused; resume to continue";
            s.stableRevision = V1;
            s.canaryRevision = V2;
            s.currentStepIndex = 1;
            s.canaryWeight = 20;
            s.source = new io.sluice.api.v1alpha1.SourceStatus(v3, "refs/heads/main");
        });
        Rollout paused = get("checkout");
        paused.getSpec().paused = true;
        client.resource(paused).update();

        Cli.Result r = cli.run("status", "checkout");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("Canary:    2222222222bb\n"
                + "Waiting:   revision 3333333333cc (paused: `kubectl sluice resume checkout` starts it)\n");

        writeStatus("checkout", s -> s.source = new io.sluice.api.v1alpha1.SourceStatus(V2, "refs/heads/main"));
        assertThat(cli.run("status", "checkout").out()).as("the source's revision is the canary").doesNotContain("Waiting:");
    }

    @Test
    void aMissingRolloutIsAClearErrorInTheNamespaceAsked() {
        Cli.Result r = cli.run("status", "nope");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("Error: rollout \"nope\" not found in namespace \"" + namespace + "\"\n");
        assertThat(r.out()).isEmpty();

        for (String command : List.of("promote", "abort", "retry", "pause", "resume", "history")) {
            Cli.Result other = cli.run(command, "nope", "-n", "elsewhere");
            assertThat(other.code()).as(command).isEqualTo(1);
            assertThat(other.err()).as(command).isEqualTo("Error: rollout \"nope\" not found in namespace \"elsewhere\"\n");
        }
        Cli.Result viaContext = cli.run("status", "nope", "--context", "elsewhere");
        assertThat(viaContext.err()).as("the context's namespace").contains("namespace \"elsewhere\"");
    }

    @Test
    void noReachableClusterOrNoKubeconfigIsAClearErrorWithoutAStackTrace() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Cli unreachable = new Cli(Cli.writeKubeconfig(dir, "http://127.0.0.1:" + closedPort, "shop"), Clock.systemUTC());
        for (String[] args : List.of(new String[] {"status", "checkout"}, new String[] {"list", "-A"},
                new String[] {"promote", "checkout"})) {
            Cli.Result r = unreachable.run(args);
            assertThat(r.code()).as(r.toString()).isEqualTo(1);
            assertThat(r.err()).as(r.toString()).startsWith("Error: cannot reach the Kubernetes API")
                    .contains("127.0.0.1:" + closedPort).doesNotContain("\tat ", "Exception");
            assertThat(r.err().lines()).hasSize(1);
        }

        Cli.Result missingFile = new Cli(dir.resolve("no-such-kubeconfig"), Clock.systemUTC()).run("list");
        assertThat(missingFile.code()).isEqualTo(1);
        assertThat(missingFile.err()).isEqualTo("Error: kubeconfig file " + dir.resolve("no-such-kubeconfig") + " not found\n");

        Cli.Result unknownContext = cli.run("list", "--context", "prod");
        assertThat(unknownContext.code()).isEqualTo(1);
        assertThat(unknownContext.err()).startsWith("Error: context \"prod\" not found in the kubeconfig");
    }

    // ---- list -----------------------------------------------------------------------------------

    @Test
    void listShowsPhaseWeightStepRevisionsAndAgeLikeKubectlGet() {
        createRollout("checkout", s -> {
            s.phase = RolloutPhase.Progressing;
            s.stableRevision = V1;
            s.canaryRevision = V2;
            s.currentStepIndex = 2;
            s.canaryWeight = 20;
        });
        createRollout("payments", s -> {
            s.phase = RolloutPhase.Healthy;
            s.stableRevision = V2;
            s.canaryWeight = 0;
        });

        Cli.Result r = cli.run("list");
        assertThat(r.code()).as(r.toString()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).matches("NAME\\s+PHASE\\s+WEIGHT\\s+STEP\\s+STABLE\\s+CANARY\\s+AGE");
        assertThat(lines.get(1)).matches("checkout\\s+Progressing\\s+20%\\s+3/4\\s+1111111111aa\\s+2222222222bb\\s+\\S+");
        assertThat(lines.get(2)).matches("payments\\s+Healthy\\s+0%\\s+-\\s+2222222222bb\\s+-\\s+\\S+");
        assertThat(lines.get(0).indexOf("PHASE")).as("aligned columns").isEqualTo(lines.get(1).indexOf("Progressing"));

        Cli.Result all = cli.run("list", "-A");
        assertThat(all.out().lines().findFirst().orElseThrow()).startsWith("NAMESPACE").contains("NAME");
        assertThat(all.out()).containsPattern("(?m)^" + namespace + "\\s+checkout\\s+Progressing")
                .containsPattern("(?m)^" + namespace + "\\s+payments\\s+Healthy");

        Cli.Result none = cli.run("list", "-n", "empty-ns");
        assertThat(none.code()).isZero();
        assertThat(none.err()).isEqualTo("No rollouts found in namespace \"empty-ns\".\n");
    }

    /** Issue 22.8: the plugin had no -o json|yaml; it prints the Rollouts as kubectl get does. */
    @Test
    void listAndStatusPrintTheRolloutsAsKubectlGetDoesWithOutputJsonOrYaml() throws Exception {
        createRollout("payments", s -> {
            s.phase = RolloutPhase.Healthy;
            s.stableRevision = V2;
        });
        createRollout("checkout", s -> {
            s.phase = RolloutPhase.Progressing;
            s.stableRevision = V1;
            s.canaryRevision = V2;
            s.currentStepIndex = 2;
            s.canaryWeight = 20;
            s.message = "analysis checkout-22222222-step3-x running: error-rate < 0.01 && latency > 0 (step 3 of 4)";
        });
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var yaml = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());

        Cli.Result list = cli.run("list", "-o", "json");
        assertThat(list.code()).as(list.toString()).isZero();
        assertThat(list.err()).isEmpty();
        assertThat(list.out()).as("kubectl's layout").startsWith("{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n        {\n");
        var tree = json.readTree(list.out());
        assertThat(tree.path("kind").asText()).isEqualTo("List");
        assertThat(tree.path("items").findValuesAsText("name")).as("in the API's order").containsSubsequence("payments", "checkout");
        assertThat(tree.path("items").get(1).path("kind").asText()).isEqualTo("Rollout");
        assertThat(tree.path("items").get(1).path("apiVersion").asText()).isEqualTo("sluice.io/v1alpha1");
        assertThat(tree.path("items").get(1).path("status").path("canaryRevision").asText()).isEqualTo(V2);

        Cli.Result one = cli.run("status", "checkout", "-o", "yaml");
        assertThat(one.code()).as(one.toString()).isZero();
        assertThat(one.out()).startsWith("apiVersion: sluice.io/v1alpha1\nkind: Rollout\nmetadata:\n");
        var rollout = yaml.readTree(one.out());
        assertThat(rollout.path("spec").path("strategy").path("canary").path("steps")).hasSize(4);
        assertThat(rollout.path("status").path("phase").asText()).isEqualTo("Progressing");

        Cli.Result empty = cli.run("list", "-n", "empty-ns", "-o", "yaml");
        assertThat(empty.code()).isZero();
        assertThat(empty.err()).as("no 'No rollouts found' for a program to parse").isEmpty();
        assertThat(empty.out()).isEqualTo("apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: \"\"\n");

        String kubectl = onPath("kubectl");
        if (kubectl != null) {
            assertThat(list.out()).as("what kubectl prints").isEqualTo(kubectl(kubectl, "get", "rollouts.sluice.io", "-o", "json"));
            assertThat(yaml.readTree(kubectl(kubectl, "get", "rollout.sluice.io", "checkout", "-o", "yaml")))
                    .as("the same YAML (kubectl folds long lines)").isEqualTo(rollout);
            assertThat(json.readTree(cli.run("list", "-A", "-o", "json").out()).path("items"))
                    .isEqualTo(json.readTree(kubectl(kubectl, "get", "rollouts.sluice.io", "-A", "-o", "json")).path("items"));
        }

        Cli.Result wide = cli.run("list", "-o", "wide");
        assertThat(wide.code()).isEqualTo(2);
        assertThat(wide.err()).contains("Invalid value for option '--output'", "json", "yaml");
        Cli.Result watched = cli.run("status", "checkout", "-w", "-o", "json");
        assertThat(watched.code()).isEqualTo(2);
        assertThat(watched.err()).contains("cannot be combined with --watch");
        assertThat(cli.run("status", "nope", "-o", "json").err())
                .isEqualTo("Error: rollout \"nope\" not found in namespace \"" + namespace + "\"\n");
    }

    private String kubectl(String kubectl, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(kubectl, "--kubeconfig", cli.kubeconfig.toString(),
                "--cache-dir", dir.resolve("kube-cache").toString(), "--request-timeout", "20s"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(dir.resolve("kubectl-out").toFile())
                .redirectError(dir.resolve("kubectl-err").toFile());
        builder.environment().put("HOME", dir.toString());
        builder.environment().remove("KUBECONFIG");
        Process process = builder.start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("kubectl finished").isTrue();
        assertThat(process.exitValue()).as(java.nio.file.Files.readString(dir.resolve("kubectl-err"))).isZero();
        return java.nio.file.Files.readString(dir.resolve("kubectl-out"));
    }

    private static String onPath(String name) {
        for (String entry : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(entry, name);
            if (java.nio.file.Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    @Test
    void aRolloutWithAFieldThePluginDoesNotKnowIsListedAndNamedAndNotRewritten() {
        createRollout("payments", s -> s.phase = RolloutPhase.Healthy);
        Rollout typo = RolloutFixtures.checkout("https://git.example.com/shop.git");
        typo.getMetadata().setName("typo");
        typo.getMetadata().setNamespace(namespace);
        typo.getMetadata().setGeneration(null);
        String json = client.getKubernetesSerialization().asJson(typo).replace("\"steps\":[", "\"steps\":[{\"intervall\":\"5s\"},");
        // a step the CRD forbids (none of setWeight, pause, analysis): only a lax API server admits it
        try (var lax = MockKubeApi.laxClient(client)) {
            lax.resource(client.getKubernetesSerialization().unmarshal(json, io.fabric8.kubernetes.api.model.GenericKubernetesResource.class))
                    .create();
        }

        Cli.Result list = cli.run("list");
        assertThat(list.code()).as(list.toString()).isZero();
        assertThat(list.out()).containsPattern("(?m)^payments\\s+Healthy").containsPattern("(?m)^typo\\s+");
        assertThat(list.err()).isEqualTo("Warning: rollout " + namespace + "/typo has fields Sluice does not know, which are "
                + "ignored: spec.strategy.canary.steps[0].intervall\n");
        assertThat(cli.run("status", "typo").out()).contains("Ignored:   spec.strategy.canary.steps[0].intervall");
        assertThat(cli.run("status", "typo", "-o", "json").out()).as("-o prints the object as the API has it")
                .contains("\"intervall\": \"5s\"");

        Cli.Result pause = cli.run("pause", "typo");
        assertThat(pause.code()).isEqualTo(1);
        assertThat(pause.err()).contains("spec.strategy.canary.steps[0].intervall", "not changed");
        assertThat(client.genericKubernetesResources("sluice.io/v1alpha1", "Rollout").inNamespace(namespace).withName("typo")
                .get().toString()).as("the field is still there").contains("intervall");
    }

    // ---- steering -------------------------------------------------------------------------------

    @Test
    void promoteWritesAPromoteRequestAndRefusesWhatMakesNoSense() {
        createRollout("checkout", s -> {
            s.phase = RolloutPhase.Healthy;
            s.stableRevision = V1;
        });
        Cli.Result healthy = cli.run("promote", "checkout");
        assertThat(healthy.code()).isEqualTo(1);
        assertThat(healthy.err()).startsWith("Error: cannot promote rollout " + namespace + "/checkout: no canary is in flight");
        assertThat(get("checkout").getSpec().promote).as("nothing written").isNull();

        writeStatus("checkout", s -> {
            s.phase = RolloutPhase.Paused;
            s.canaryRevision = V2;
            s.currentStepIndex = 1;
            s.canaryWeight = 20;
        });
        Cli.Result promote = cli.run("promote", "checkout");
        assertThat(promote.code()).as(promote.toString()).isZero();
        assertThat(promote.out()).isEqualTo("Promotion requested for rollout " + namespace
                + "/checkout: canary 2222222222bb moves past step 2 of 4 (pause until promoted).\n");
        Rollout requested = get("checkout");
        assertThat(requested.getSpec().promote.id).isNotBlank();
        assertThat(requested.getSpec().promote.full).isNull();
        assertThat(requested.getMetadata().getGeneration()).as("a spec update, so a new generation").isEqualTo(2L);
        assertThat(requested.getStatus().phase).as("status untouched").isEqualTo(RolloutPhase.Paused);

        Cli.Result again = cli.run("promote", "checkout", "--full");
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains("a promote request (id " + requested.getSpec().promote.id + ")")
                .contains("still waiting for the operator");

        String firstId = requested.getSpec().promote.id;
        writeStatus("checkout", s -> {
            s.handledRequests = new HandledRequests();
            s.handledRequests.promote = firstId;
            s.currentStepIndex = 2;
        });
        Cli.Result full = cli.run("promote", "checkout", "--full");
        assertThat(full.code()).as(full.toString()).isZero();
        assertThat(full.out()).contains("Full promotion requested").contains("skips the remaining 2 of 4 steps");
        assertThat(get("checkout").getSpec().promote.full).isTrue();
        assertThat(get("checkout").getSpec().promote.id).isNotEqualTo(firstId);
    }

    @Test
    void abortRetryPauseAndResumeWriteWhatTheOperatorActsOn() {
        createRollout("checkout", s -> {
            s.phase = RolloutPhase.Progressing;
            s.stableRevision = V1;
            s.canaryRevision = V2;
            s.currentStepIndex = 0;
            s.canaryWeight = 20;
        });

        Cli.Result retryTooEarly = cli.run("retry", "checkout");
        assertThat(retryTooEarly.code()).isEqualTo(1);
        assertThat(retryTooEarly.err()).contains("cannot retry").contains("nothing was aborted");

        Cli.Result resumeNotPaused = cli.run("resume", "checkout");
        assertThat(resumeNotPaused.code()).isEqualTo(1);
        assertThat(resumeNotPaused.err()).contains("it is not paused (phase Progressing)");

        Cli.Result pause = cli.run("pause", "checkout");
        assertThat(pause.code()).as(pause.toString()).isZero();
        assertThat(pause.out()).contains("Paused rollout " + namespace + "/checkout: canary 2222222222bb holds at 20%");
        assertThat(get("checkout").getSpec().paused).isTrue();
        assertThat(cli.run("pause", "checkout").err()).contains("is already paused");

        Cli.Result resume = cli.run("resume", "checkout");
        assertThat(resume.code()).as(resume.toString()).isZero();
        assertThat(get("checkout").getSpec().paused).isFalse();

        Cli.Result abort = cli.run("abort", "checkout");
        assertThat(abort.code()).as(abort.toString()).isZero();
        assertThat(abort.out()).contains("Abort requested for rollout " + namespace + "/checkout: canary 2222222222bb goes to 0%");
        String abortId = get("checkout").getSpec().abort.id;
        assertThat(abortId).isNotBlank();

        writeStatus("checkout", s -> {
            s.phase = RolloutPhase.Aborted;
            s.canaryWeight = 0;
            s.abortedRevision = outcome(V2, "AbortRequested", "aborted by request");
            s.handledRequests = new HandledRequests();
            s.handledRequests.abort = abortId;
        });
        Cli.Result abortAgain = cli.run("abort", "checkout");
        assertThat(abortAgain.err()).contains("its canary 2222222222bb was aborted (AbortRequested)")
                .contains("kubectl sluice retry checkout");
        assertThat(cli.run("promote", "checkout").err()).contains("was aborted");

        Cli.Result retry = cli.run("retry", "checkout");
        assertThat(retry.code()).as(retry.toString()).isZero();
        assertThat(retry.out()).contains("Retry requested for rollout " + namespace + "/checkout: revision 2222222222bb starts again from step 1.");
        assertThat(get("checkout").getSpec().retry.id).isNotBlank();

        writeStatus("checkout", s -> {
            s.phase = RolloutPhase.Paused;
            s.message = "waiting for `kubectl sluice promote` (step 2 of 4)";
            s.abortedRevision = null;
            s.currentStepIndex = 1;
        });
        assertThat(cli.run("resume", "checkout").err()).as("a pause step is ended by promote, not resume")
                .contains("not paused with `kubectl sluice pause`").contains("kubectl sluice promote checkout");
    }

    @Test
    void aStatusWrittenInBetweenIsNotOverwrittenAndTheRequestStillLands() throws Exception {
        createRollout("checkout", s -> {
            s.phase = RolloutPhase.Paused;
            s.stableRevision = V1;
            s.canaryRevision = V2;
            s.currentStepIndex = 1;
        });
        // The operator keeps writing status meanwhile: the plugin's update must not lose either write.
        AtomicInteger writes = new AtomicInteger();
        CompletableFuture<Void> operator = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 30; i++) {
                int n = i;
                writeStatus("checkout", s -> s.message = "status write " + n);
                writes.incrementAndGet();
            }
        }, BACKGROUND);
        List<Cli.Result> results = new ArrayList<>();
        for (String command : List.of("pause", "resume", "pause")) {
            results.add(cli.run(command, "checkout"));
        }
        operator.get(30, TimeUnit.SECONDS);
        assertThat(results).allSatisfy(r -> assertThat(r.code()).as(r.toString()).isZero());
        Rollout after = get("checkout");
        assertThat(after.getSpec().paused).isTrue();
        assertThat(after.getStatus().message).isEqualTo("status write 29");
        assertThat(after.getStatus().currentStepIndex).isEqualTo(1);
    }

    // ---- history --------------------------------------------------------------------------------

    @Test
    void historyListsTheCanaryInFlightThenPastOutcomesNewestFirst() {
        createRollout("checkout", s -> {
            s.phase = RolloutPhase.Progressing;
            s.stableRevision = V1;
            s.canaryRevision = V2;
            s.currentStepIndex = 2;
            s.canaryWeight = 20;
            s.stepStartTime = NOW.minusSeconds(30).toString();
            s.history = List.of(
                    outcome("3333333333cc3333", "AnalysisFailed", "error-rate = 0.2 breached result < 0.01", NOW.minus(Duration.ofMinutes(20))),
                    outcome(V1, "Promoted", "promoted to stable", NOW.minus(Duration.ofHours(3))),
                    outcome("0000000000dd0000", "Deployed", "first revision, deployed as stable", NOW.minus(Duration.ofDays(3))));
        });

        Cli.Result r = cli.run("history", "checkout");
        assertThat(r.code()).as(r.toString()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo("Rollout " + namespace + "/checkout, newest first:");
        assertThat(lines.get(1)).matches("\\s+REVISION\\s+ROLE\\s+OUTCOME\\s+AGE\\s+IMAGE\\s+DETAILS");
        assertThat(lines.get(2)).matches("\\s+2222222222bb\\s+canary\\s+InProgress\\s+30s\\s+-\\s+Progressing, step 3 of 4, canary weight 20%");
        assertThat(lines.get(3)).matches("\\s+3333333333cc\\s+AnalysisFailed\\s+20m\\s+-\\s+error-rate = 0.2 breached result < 0.01");
        assertThat(lines.get(4)).matches("\\s+1111111111aa\\s+stable\\s+Promoted\\s+3h\\s+-\\s+promoted to stable");
        assertThat(lines.get(5)).matches("\\s+0000000000dd\\s+Deployed\\s+3d\\s+-\\s+first revision, deployed as stable");
    }

    /** Issue 22.8: the history named commits only; which image a revision ran is what people look for. */
    @Test
    void historyShowsTheImagesOfEachRevisionAndOfTheCanaryInFlight() {
        createRollout("checkout", s -> {
            s.phase = RolloutPhase.Progressing;
            s.stableRevision = V1;
            s.canaryRevision = V2;
            s.currentStepIndex = 0;
            s.canaryWeight = 20;
            s.history = List.of(
                    outcome(V1, "Promoted", "promoted to stable", NOW.minus(Duration.ofHours(3)), "shop/checkout:1.0"),
                    outcome("0000000000dd0000", "Deployed", "first revision, deployed as stable", NOW.minus(Duration.ofDays(3)),
                            "shop/checkout:0.9", "shop/sidecar:2"));
        });
        client.apps().deployments().inNamespace(namespace).resource(new io.fabric8.kubernetes.api.model.apps.DeploymentBuilder()
                .withNewMetadata().withName("checkout-canary").addToAnnotations("sluice.io/revision", V2).endMetadata()
                .withNewSpec().withNewTemplate().withNewSpec().addNewContainer().withName("app").withImage("shop/checkout:1.1")
                .endContainer().endSpec().endTemplate().endSpec().build()).create();

        Cli.Result r = cli.run("history", "checkout");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).containsPattern("2222222222bb\\s+canary\\s+InProgress\\s+\\S+\\s+shop/checkout:1\\.1\\s+Progressing")
                .containsPattern("1111111111aa\\s+stable\\s+Promoted\\s+3h\\s+shop/checkout:1\\.0\\s+promoted to stable")
                .containsPattern("0000000000dd\\s+Deployed\\s+3d\\s+shop/checkout:0\\.9, shop/sidecar:2\\s+first revision");
    }

    // ---- status --watch -------------------------------------------------------------------------

    @Test
    void statusUntilDonePrintsEachNewStateAsABlockUntilTheRolloutIsHealthy() throws Exception {
        List<CanaryStep> steps = List.of(CanaryStep.weight(20), CanaryStep.weight(50), pause("1m"));
        Rollout rollout = createRollout("checkout", steps);
        event(rollout, "CanaryStarted", "revision 2222222222bb started as canary", Instant.now().minusSeconds(10));
        writeStatus("checkout", s -> {
            s.phase = RolloutPhase.Progressing;
            s.message = "revision 2222222222bb started as canary";
            s.stableRevision = V1;
            s.canaryRevision = V2;
            s.currentStepIndex = 0;
            s.canaryWeight = 0;
        });
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CompletableFuture<Integer> watch = CompletableFuture.supplyAsync(() -> SluiceCli.execute(
                new String[] {"status", "checkout", "--until-done", "--timeout", "60s", "--kubeconfig", cli.kubeconfig.toString()},
                new PrintWriter(out, true), new PrintWriter(err, true), false, Clock.systemUTC()), BACKGROUND);
        awaitOutput(out, "Traffic:   canary 0% ");

        writeStatus("checkout", s -> {
            s.currentStepIndex = 1;
            s.canaryWeight = 20;
            s.message = "canary weight set to 20% (step 1 of 3)";
        });
        awaitOutput(out, "Traffic:   canary 20% ");
        // Something unrelated changes while only the event's age moves on: no new block for that.
        Thread.sleep(1100);
        event(rollout, "Unrelated", "about another rollout", Instant.now(), "other");
        Thread.sleep(1000);
        writeStatus("checkout", s -> {
            s.currentStepIndex = 2;
            s.canaryWeight = 50;
            s.message = "canary weight set to 50% (step 2 of 3)";
        });
        awaitOutput(out, "Traffic:   canary 50% ");
        writeStatus("checkout", s -> {
            s.phase = RolloutPhase.Healthy;
            s.stableRevision = V2;
            s.canaryRevision = null;
            s.currentStepIndex = null;
            s.canaryWeight = 0;
            s.message = "revision 2222222222bb promoted; it is stable and serves all traffic";
        });

        assertThat(watch.get(30, TimeUnit.SECONDS)).as(err.toString()).isZero();
        List<String> blocks = List.of(out.toString().split("(?m)^--- \\d\\d:\\d\\d:\\d\\d ---\n"));
        assertThat(blocks.getFirst()).as("nothing before the first block").isEmpty();
        List<String> states = blocks.subList(1, blocks.size());
        assertThat(states).as("one block per state, not per tick of an age: " + out).hasSize(4);
        assertThat(states.get(0)).contains("Phase:     Progressing", "Traffic:   canary 0% ", "Desired:   canary 20% (not there yet)",
                "  [>] 1. setWeight 20%\n  [ ] 2. setWeight 50%\n  [ ] 3. pause 1m\n");
        assertThat(states.get(1)).contains("Traffic:   canary 20% [####................] stable 80%",
                "  [x] 1. setWeight 20%\n  [>] 2. setWeight 50%\n  [ ] 3. pause 1m\n");
        assertThat(states.get(2)).contains("Traffic:   canary 50% [##########..........] stable 50%",
                "  [x] 1. setWeight 20%\n  [x] 2. setWeight 50%\n  [>] 3. pause 1m\n");
        assertThat(states.get(3)).contains("Phase:     Healthy", "Stable:    2222222222bb", "Steps (no canary in flight):")
                .doesNotContain("[>]").endsWith("\nRollout " + namespace + "/checkout is Healthy.\n");
    }

    @Test
    void onATerminalStatusWatchRedrawsInPlace() {
        createRollout("checkout", s -> {
            s.phase = RolloutPhase.Healthy;
            s.stableRevision = V1;
        });
        StringWriter out = new StringWriter();
        int code = SluiceCli.execute(new String[] {"status", "checkout", "-w", "--until-done", "--kubeconfig", cli.kubeconfig.toString()},
                new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), true, Clock.systemUTC());
        assertThat(code).isZero();
        assertThat(out.toString()).as("the screen is cleared and the view drawn from the top, with no block header")
                .startsWith("\033[H\033[2JName:      checkout\n").doesNotContain("--- ")
                .endsWith("Rollout " + namespace + "/checkout is Healthy.\n");
    }

    @Test
    void statusUntilDoneGivesUpAfterTheTimeoutAndWatchJustStops() {
        createRollout("checkout", s -> {
            s.phase = RolloutPhase.Paused;
            s.stableRevision = V1;
            s.canaryRevision = V2;
            s.currentStepIndex = 1;
        });
        long start = System.nanoTime();
        Cli.Result r = cli.run("status", "checkout", "--until-done", "-t", "1s");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("Phase:     Paused");
        assertThat(r.err()).isEqualTo("Error: timed out after 1s waiting for rollout \"checkout\" to be Healthy, Aborted or "
                + "Degraded; it is Paused\n");

        Cli.Result watched = cli.run("status", "checkout", "-w", "-t", "1s");
        assertThat(watched.code()).as("the time to watch is over: nothing failed").isZero();
        assertThat(watched.out()).contains("Phase:     Paused").doesNotContain("Rollout " + namespace);
        assertThat(watched.err()).isEmpty();
    }

    /** Issue 22.8: {@code --watch} returned at once on a Healthy rollout, so it showed nothing of the next release. */
    @Test
    void statusWatchKeepsWatchingAHealthyRolloutAndShowsTheNextCanary() throws Exception {
        createRollout("checkout", s -> {
            s.phase = RolloutPhase.Healthy;
            s.message = "revision 1111111111aa is stable and serves all traffic";
            s.stableRevision = V1;
            s.canaryWeight = 0;
        });
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CompletableFuture<Integer> watch = CompletableFuture.supplyAsync(() -> SluiceCli.execute(
                new String[] {"status", "checkout", "--watch", "--timeout", "8s", "--kubeconfig", cli.kubeconfig.toString()},
                new PrintWriter(out, true), new PrintWriter(err, true), false, Clock.systemUTC()), BACKGROUND);
        awaitOutput(out, "Phase:     Healthy");

        writeStatus("checkout", s -> {
            s.phase = RolloutPhase.Progressing;
            s.message = "revision 2222222222bb started as canary";
            s.canaryRevision = V2;
            s.currentStepIndex = 0;
        });
        awaitOutput(out, "Canary:    2222222222bb");
        assertThat(watch.get(30, TimeUnit.SECONDS)).as("--timeout ends the watch; nothing failed: " + err).isZero();
        assertThat(out.toString()).doesNotContain("is Healthy.");
    }

    // ---- help and version -----------------------------------------------------------------------

    @Test
    void everyCommandHasHelpAndThereIsAVersion() {
        Cli noKube = new Cli(null, Clock.systemUTC());
        Cli.Result top = noKube.run("--help");
        assertThat(top.code()).isZero();
        assertThat(top.out()).contains("Usage: kubectl-sluice", "-n, --namespace=NAMESPACE", "--context=CONTEXT",
                "--kubeconfig=FILE");
        for (String command : List.of("status", "list", "promote", "abort", "retry", "pause", "resume", "history")) {
            assertThat(top.out()).as(command).containsPattern("(?m)^\\s+" + command + "[\\s,]+\\S");
            Cli.Result help = noKube.run(command, "--help");
            assertThat(help.code()).as(command).isZero();
            assertThat(help.out()).as(command).contains("Usage: kubectl-sluice " + command, "--namespace");
        }
        assertThat(noKube.run("help", "status").out()).contains("--watch", "--timeout");
        assertThat(noKube.run("--version").out()).startsWith("kubectl-sluice ");

        Cli.Result unknown = noKube.run("frobnicate");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("Unmatched argument").contains("frobnicate");
        Cli.Result missingName = noKube.run("status");
        assertThat(missingName.code()).isEqualTo(2);
        assertThat(missingName.err()).contains("Missing required parameter: 'NAME'");
    }

    // ---- shell completion -----------------------------------------------------------------------

    /** Issue 22.8: no shell completion. */
    @Test
    void completionBashPrintsAScriptThatCompletesCommandsAndOptions() throws Exception {
        Cli noKube = new Cli(null, Clock.systemUTC());
        Cli.Result bash = noKube.run("completion", "bash");
        assertThat(bash.code()).as(bash.toString()).isZero();
        assertThat(bash.out()).contains("complete -F _complete_kubectl-sluice", "status", "promote", "--until-done")
                .doesNotContain("__complete");
        Cli.Result zsh = noKube.run("completion", "zsh");
        assertThat(zsh.out()).startsWith("autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n")
                .contains("complete -F _complete_kubectl-sluice");
        assertThat(noKube.run("completion", "fish").code()).isEqualTo(2);

        // the script works in bash: `kubectl-sluice sta<TAB>`, `kubectl-sluice status --unt<TAB>`
        java.nio.file.Path script = dir.resolve("completion.bash");
        java.nio.file.Files.writeString(script, bash.out());
        assumeTrue(java.nio.file.Files.isExecutable(Path.of("/bin/bash")), "no bash");
        assertThat(bashComplete(script, "kubectl-sluice sta")).isEqualTo("status");
        assertThat(bashComplete(script, "kubectl-sluice status --unt")).isEqualTo("--until-done");
        assertThat(bashComplete(script, "kubectl-sluice list -o ")).isEqualTo("json yaml");
    }

    /** `kubectl sluice <TAB>`: kubectl (1.26+) asks kubectl_complete-sluice, which runs this. */
    @Test
    void kubectlCompletionOfThePluginOffersCommandsOptionsAndRolloutNames() {
        createRollout("checkout", s -> s.phase = RolloutPhase.Healthy);
        createRollout("cart", s -> s.phase = RolloutPhase.Healthy);

        assertThat(complete("pro")).isEqualTo("promote\n:4\n");
        assertThat(complete("")).as("commands; options once a - is typed").isEqualTo(
                "abort\ncompletion\nhelp\nhistory\nlist\nls\npause\npromote\nresume\nretry\nstatus\n:4\n");
        assertThat(complete("status", "--wa")).isEqualTo("--watch\n:4\n");
        assertThat(complete("list", "-o", "")).isEqualTo("json\nyaml\n:4\n");
        assertThat(complete("--kubeconfig=" + cli.kubeconfig, "status", "c")).as("the rollouts of the namespace")
                .isEqualTo("cart\ncheckout\n:4\n");
        assertThat(complete("--kubeconfig=" + cli.kubeconfig, "abort", "-n", namespace, "")).isEqualTo("cart\ncheckout\n:4\n");
        assertThat(complete("--kubeconfig=" + cli.kubeconfig, "status", "-n", "elsewhere", "")).isEqualTo(":4\n");
        assertThat(complete("--kubeconfig=" + cli.kubeconfig, "status", "checkout", "")).as("one NAME only").isEqualTo(":4\n");
        assertThat(complete("--kubeconfig=" + dir.resolve("nope"), "status", "")).as("no cluster, no names").isEqualTo(":4\n");
        assertThat(cli.run("--help").out()).doesNotContain("__complete");
    }

    private String complete(String... words) {
        List<String> args = new ArrayList<>(List.of("__complete"));
        args.addAll(List.of(words));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertThat(SluiceCli.execute(args.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true),
                false, Clock.systemUTC())).isZero();
        assertThat(err.toString()).isEmpty();
        return out.toString();
    }

    private static String bashComplete(java.nio.file.Path script, String line) throws Exception {
        String program = "source " + script + "\ncompopt() { :; }\nCOMP_LINE='" + line + "'\nCOMP_POINT=${#COMP_LINE}\n"
                + "read -r -a COMP_WORDS <<< \"$COMP_LINE\"\n"
                + "[[ \"$COMP_LINE\" == *' ' ]] && COMP_WORDS+=('')\nCOMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
                + "_complete_kubectl-sluice kubectl-sluice\necho \"${COMPREPLY[*]}\"\n";
        Process bash = new ProcessBuilder("/bin/bash", "-c", program).redirectErrorStream(true).start();
        String out = new String(bash.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(bash.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return out.strip();
    }

    // ---- fixtures -------------------------------------------------------------------------------

    private static List<CanaryStep> steps() {
        CanaryStep analysis = new CanaryStep();
        analysis.analysis = new RolloutAnalysis();
        analysis.analysis.templates = List.of(new AnalysisTemplateRef("http-slo", false));
        return List.of(CanaryStep.weight(20), pause(null), analysis, CanaryStep.weight(50));
    }

    private static CanaryStep pause(String duration) {
        CanaryStep step = new CanaryStep();
        step.pause = new Pause();
        step.pause.duration = duration;
        return step;
    }

    /** Creates a rollout with {@link #steps()}, then writes its status as the operator would. */
    private Rollout createRollout(String name, Consumer<RolloutStatus> status) {
        Rollout created = createRollout(name, steps());
        writeStatus(name, status);
        return created;
    }

    private Rollout createRollout(String name, List<CanaryStep> steps) {
        Rollout rollout = RolloutFixtures.checkout("https://git.example.com/shop.git");
        rollout.getMetadata().setName(name);
        rollout.getMetadata().setNamespace(namespace);
        rollout.getMetadata().setGeneration(null);
        rollout.getSpec().strategy.canary.steps = steps;
        return client.resource(rollout).create();
    }

    private Rollout get(String name) {
        return client.resources(Rollout.class).inNamespace(namespace).withName(name).get();
    }

    /** Writes the status as the operator does: read, change, update the status subresource (retrying a conflict). */
    private void writeStatus(String name, Consumer<RolloutStatus> change) {
        for (int attempt = 1; ; attempt++) {
            Rollout r = get(name);
            if (r.getStatus() == null) {
                r.setStatus(new RolloutStatus());
            }
            change.accept(r.getStatus());
            try {
                client.resource(r).updateStatus();
                return;
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 20) {
                    throw e;
                }
            }
        }
    }

    private void createRun(Rollout owner, String name, AnalysisPhase phase, String metric, String lastValue,
            AnalysisPhase metricPhase, int count) {
        AnalysisRun run = new AnalysisRun();
        run.getMetadata().setName(name);
        run.getMetadata().setNamespace(namespace);
        run.getMetadata().setLabels(Map.of("sluice.io/rollout", owner.getMetadata().getName()));
        run.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder().withApiVersion("sluice.io/v1alpha1")
                .withKind("Rollout").withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid())
                .withController(true).build()));
        run.setSpec(new AnalysisRunSpec());
        Metric m = new Metric();
        m.name = metric;
        m.successCondition = "result < 0.01";
        m.provider = new MetricProvider();
        m.provider.prometheus = new PrometheusMetric();
        m.provider.prometheus.query = "sum(rate(errors[1m]))";
        run.getSpec().metrics = List.of(m);
        AnalysisRun created = client.resource(run).create();
        created.setStatus(new AnalysisRunStatus());
        created.getStatus().phase = phase;
        MetricResult result = new MetricResult();
        result.name = metric;
        result.phase = metricPhase;
        result.count = count;
        result.successful = metricPhase == AnalysisPhase.Successful ? count : 0;
        result.failed = metricPhase == AnalysisPhase.Failed ? count : 0;
        Measurement first = new Measurement();
        first.value = "0.001";
        Measurement last = new Measurement();
        last.value = lastValue;
        result.measurements = List.of(first, last);
        created.getStatus().metricResults = List.of(result);
        client.resource(created).updateStatus();
    }

    private void event(Rollout about, String reason, String message, Instant at) {
        event(about, reason, message, at, about.getMetadata().getName());
    }

    private void event(Rollout about, String reason, String message, Instant at, String involvedName) {
        client.v1().events().inNamespace(namespace).resource(new EventBuilder()
                .withNewMetadata().withName(involvedName + "." + reason.toLowerCase() + System.nanoTime()).endMetadata()
                .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion("sluice.io/v1alpha1").withKind("Rollout")
                        .withName(involvedName).withNamespace(namespace)
                        .withUid(involvedName.equals(about.getMetadata().getName()) ? about.getMetadata().getUid() : "x")
                        .build())
                .withType("Normal").withReason(reason).withMessage(message)
                .withFirstTimestamp(at.toString()).withLastTimestamp(at.toString()).withCount(1)
                .build()).create();
    }

    private static RevisionOutcome outcome(String revision, String reason, String message) {
        return outcome(revision, reason, message, NOW);
    }

    private static RevisionOutcome outcome(String revision, String reason, String message, Instant at, String... images) {
        RevisionOutcome o = new RevisionOutcome();
        o.revision = revision;
        o.reason = reason;
        o.message = message;
        o.time = at.toString();
        if (images.length > 0) {
            o.images = List.of(images);
        }
        return o;
    }

    private static String lineWith(String text, String part) {
        return text.lines().filter(l -> l.contains(part)).findFirst().orElse("(no line with " + part + ")");
    }

    private static void awaitOutput(StringWriter out, String part) {
        await().atMost(Duration.ofSeconds(15)).until(() -> out.toString().contains(part));
    }

    @SuppressWarnings("unused")
    private static int count(String text, String part) {
        return (int) Pattern.compile(Pattern.quote(part)).matcher(text).results().count();
    }
}
