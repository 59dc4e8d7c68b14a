package io.sluice.demo;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The README's run command without a cluster, as a user runs it: the packaged operator started with
 * {@code --sandbox}, watched from outside through its output and its child processes.
 */
class DemoOncePackagedIT {
    private static final Path PROJECT_DIR = Path.of(System.getProperty("sluice.project.dir", ".")).toAbsolutePath();
    private static final Pattern WORK_DIR = Pattern.compile("Temporary files: (\\S+)");
    private static final Pattern KUBECONFIG = Pattern.compile("export KUBECONFIG=(\\S+)");
    private static final Pattern GIT_URL = Pattern.compile("git +(\\S+) holds");
    /** Every line the demo prints is its narration's: a timestamp, then what happened. */
    private static final Pattern NARRATION = Pattern.compile("\\d{2}:\\d{2}:\\d{2}\\.\\d  \\S.*");

    @Test
    void onceDeliversAHealthyAndABrokenReleaseThenStopsEverythingItStarted() throws Exception {
        RunningDemo demo = RunningDemo.start("--sandbox", "--once");
        await("the first release started").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                .until(() -> demo.output().contains("=== release 1/2") || !demo.process.isAlive());
        applyWhatTheOperatorLogsAbout(demo.output());

        boolean exited = demo.process.waitFor(4, TimeUnit.MINUTES);
        if (!exited) {
            demo.process.destroyForcibly();
        }
        demo.awaitOutputEnd();

        assertThat(exited).as("the demo finished within 4 minutes:\n%s", demo.output()).isTrue();
        assertThat(demo.process.exitValue()).as(demo.output()).isZero();
        String output = demo.output();
        assertThat(output)
                .containsPattern("RESULT +release 1 \\w{8} PROMOTED after \\d+s: revision \\w{8} is stable and serves 100% of traffic")
                .containsPattern("RESULT +release 2 \\w{8} ROLLED BACK after \\d+s \\(AnalysisFailed\\): .*error-rate = 0\\.[12]\\d* "
                        + "breached `result < 0.05`")
                .containsPattern("measure +error-rate +0\\.[12]\\d{3} +want result < 0.05 +BREACHED")
                .containsPattern("measure +p95-latency-ms +\\d+\\.\\d{4} +want result < 250 +ok")
                .containsPattern("step 1/4 +setWeight 20")
                .containsPattern("haproxy +now routes stable 50% / canary 50%")
                .contains("demo OK: every release had the expected outcome (promoted, rolled back)");
        // a Rollout applied by someone else is narrated like the demo's, under its name
        assertThat(output)
                .containsPattern("rollout +payments: Degraded: ")
                .containsPattern("condition payments: SourceReady=False \\(\\w+\\)")
                .contains("rollout  payments: ignores what this Sluice cannot read: spec.colour");
        // the operator's warnings, errors and stack traces are in its log, not among the narration
        assertThat(output.lines()).as(output).allMatch(line -> NARRATION.matcher(line).matches());
        demo.assertNothingLeftBehind();
    }

    /**
     * While the demo runs, applies what the operator warns about (a Rollout with a field it does not know,
     * logged at WARN) and, as of this writing, fails on with an exception (an AnalysisRun without metrics,
     * logged at ERROR with a stack trace), through the kubeconfig the demo prints, as a user would.
     */
    private static void applyWhatTheOperatorLogsAbout(String output) throws IOException {
        Matcher kubeconfig = KUBECONFIG.matcher(output);
        Matcher gitUrl = GIT_URL.matcher(output);
        assertThat(kubeconfig.find() && gitUrl.find()).as("the demo names its kubeconfig and repository:\n%s", output)
                .isTrue();
        String rollout = """
                apiVersion: sluice.io/v1alpha1
                kind: Rollout
                metadata: {name: payments, namespace: shop}
                spec:
                  source: {git: {url: "%s", ref: main, path: apps/payments, interval: 2s}}
                  workloadRef: {kind: Deployment, name: payments}
                  colour: blue
                  strategy:
                    canary:
                      trafficRouting: {istio: {virtualService: {name: payments, routes: [primary]}}}
                      steps: [{setWeight: 20}]
                """.formatted(gitUrl.group(1));
        String analysisRun = """
                apiVersion: sluice.io/v1alpha1
                kind: AnalysisRun
                metadata: {name: handmade, namespace: shop}
                spec: {args: []}
                """;
        // the AnalysisRun is invalid by its CRD, so the sandbox (strict, like an API server) refuses it; it is sent as
        // one that slipped past validation (a CRD older than the operator), through the sandbox's lax header
        try (KubernetesClient strict = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(Files.readString(Path.of(kubeconfig.group(1))))).build();
                KubernetesClient client = io.sluice.testing.kube.MockKubeApi.laxClient(strict)) {
            for (String yaml : List.of(rollout, analysisRun)) {
                GenericKubernetesResource resource = client.getKubernetesSerialization().unmarshal(yaml,
                        GenericKubernetesResource.class);
                client.genericKubernetesResources(resource.getApiVersion(), resource.getKind()).inNamespace("shop")
                        .resource(resource).create();
            }
        }
    }

    @Test
    void sigtermDuringTheFirstReleaseStopsEverythingItStarted() throws Exception {
        RunningDemo demo = RunningDemo.start("--sandbox");
        try {
            await("the first release started").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                    .until(() -> demo.output().contains("=== release 1/2") || !demo.process.isAlive());
            assertThat(demo.process.isAlive()).as(demo.output()).isTrue();
            demo.recordDescendants();

            demo.process.destroy(); // SIGTERM

            assertThat(demo.process.waitFor(60, TimeUnit.SECONDS)).as("exited after SIGTERM:\n%s", demo.output()).isTrue();
        } finally {
            if (demo.process.isAlive()) {
                demo.process.destroyForcibly();
            }
        }
        demo.awaitOutputEnd();
        assertThat(demo.output()).contains("stopping (SIGTERM)").doesNotContain("RESULT");
        assertThat(demo.process.exitValue()).isEqualTo(143);
        demo.assertNothingLeftBehind();
    }

    /** The packaged operator in demo mode, its output collected and its child processes recorded. */
    private static final class RunningDemo {
        final Process process;
        final Path outputFile;
        private volatile String finalOutput;
        final Map<ProcessHandle, String> descendants = new ConcurrentHashMap<>();

        private RunningDemo(Process process, Path outputFile) {
            this.process = process;
            this.outputFile = outputFile;
        }

        static RunningDemo start(String... args) throws IOException {
            String java = ProcessHandle.current().info().command()
                    .orElseThrow(() -> new IllegalStateException("cannot tell which java runs this test"));
            List<String> command = new ArrayList<>(List.of(java));
            if (Runtime.version().feature() >= 23) {
                // as ./sluice run does: the JVM itself would warn on the console about Netty's use of sun.misc.Unsafe
                command.add("--sun-misc-unsafe-memory-access=allow");
            }
            command.addAll(List.of("-Dsluice.project.dir=" + PROJECT_DIR,
                    "-jar", PROJECT_DIR.resolve("target/quarkus-app/quarkus-run.jar").toString()));
            command.addAll(List.of(args));
            // to a file, not a pipe: a pipe read while the process exits can lose its last lines
            Path outputFile = Files.createTempFile("sluice-demo-it-", ".log");
            ProcessBuilder builder = new ProcessBuilder(command).directory(PROJECT_DIR.toFile()).redirectErrorStream(true)
                    .redirectOutput(outputFile.toFile());
            // the demo must not find a cluster to talk to
            builder.environment().remove("KUBECONFIG");
            builder.environment().remove("KUBERNETES_SERVICE_HOST");
            RunningDemo demo = new RunningDemo(builder.start(), outputFile);
            Thread.ofPlatform().daemon().name("demo-children").start(demo::watchDescendants);
            return demo;
        }

        private void watchDescendants() {
            while (process.isAlive()) {
                recordDescendants();
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void recordDescendants() {
            // the command is read now: once a process has exited, nothing is known about it
            process.descendants().forEach(child -> descendants.putIfAbsent(child,
                    child.info().command().orElse("pid " + child.pid())));
        }

        /** Shows what the demo printed, for whoever reads the test's log, and removes the file. */
        void awaitOutputEnd() throws IOException {
            finalOutput = output();
            System.out.println(finalOutput.lines().map(line -> "demo| " + line).collect(Collectors.joining("\n")));
            Files.deleteIfExists(outputFile);
        }

        String output() {
            try {
                return finalOutput != null ? finalOutput : Files.readString(outputFile, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(cannot read " + outputFile + ": " + e + ")";
            }
        }


        void assertNothingLeftBehind() {
            String output = output();
            assertThat(descendants.values())
                    .as("children seen: %s", descendants)
                    .anySatisfy(command -> assertThat(command).endsWith("haproxy"))
                    .anySatisfy(command -> assertThat(command).endsWith("prometheus"));
            await("every child process gone").atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(descendants.keySet().stream().filter(ProcessHandle::isAlive)
                            .map(h -> h.pid() + " " + descendants.get(h)))
                            .as(output).isEmpty());
            Matcher workDir = WORK_DIR.matcher(output);
            assertThat(workDir.find()).as("the demo names its temporary directory:\n%s", output).isTrue();
            assertThat(Files.exists(Path.of(workDir.group(1)))).as("%s deleted", workDir.group(1)).isFalse();
            assertThat(output).contains("stopped; deleted " + workDir.group(1));
        }
    }
}
