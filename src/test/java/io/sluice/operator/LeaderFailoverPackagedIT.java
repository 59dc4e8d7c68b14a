package io.sluice.operator;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.Pause;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.core.RolloutFixtures;
import io.sluice.sandbox.SandboxDeploymentController;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.testing.kube.MockKubeApi;
import io.sluice.demo.process.ExternalProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two operator processes, each the packaged operator ({@code target/quarkus-app}), against one mock API
 * with leader election on. A canary is in flight when the leader is killed with SIGKILL (so it does not
 * release the Lease); the other takes the Lease once it expires and carries the rollout on from its
 * status: the VirtualService carries every step's weight exactly once and in order, the step index never
 * goes back, and the release completes. Until the kill only the first process writes (Events name their
 * reporting instance; the follower logs no reconcile).
 */
class LeaderFailoverPackagedIT {
    private static final String NAMESPACE = "shop";
    private static final String LEASE_NAMESPACE = "sluice-system";
    private static final String LEASE_NAME = "sluice-leader";
    private static final Duration LEASE = Duration.ofSeconds(4);
    private static final Duration RENEW = Duration.ofSeconds(3);
    private static final Duration RETRY = Duration.ofSeconds(1);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String WEBHOOK_SECRET = "failover-test-secret";
    private static final Pattern ROLLOUT_LOG = Pattern.compile("Rollout " + NAMESPACE + "/checkout: ");

    private MockKubeApi api;
    private KubernetesClient client;
    private GitRepoFixture repo;
    private SandboxDeploymentController deployments;
    private Path workDir;
    private final List<Operator> operators = new ArrayList<>();
    private final List<Integer> canaryWeights = new CopyOnWriteArrayList<>();
    /** When each weight of {@link #canaryWeights} was seen. */
    private final List<Instant> canaryWeightTimes = new CopyOnWriteArrayList<>();
    private final List<Integer> stepIndexes = new CopyOnWriteArrayList<>();
    private final List<Watch> watches = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        api = MockKubeApi.start();
        client = api.client();
        repo = GitRepoFixture.create();
        deployments = new SandboxDeploymentController(client, NAMESPACE);
        workDir = Files.createTempDirectory("sluice-failover-");
        RolloutFixtures.createAnalysisTemplate(client, NAMESPACE);
        watches.add(client.genericKubernetesResources("networking.istio.io/v1", "VirtualService").inNamespace(NAMESPACE)
                .watch(new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, GenericKubernetesResource vs) {
                        Integer w = canaryWeight(vs);
                        synchronized (canaryWeights) {
                            if (w != null && (canaryWeights.isEmpty() || !canaryWeights.getLast().equals(w))) {
                                canaryWeights.add(w);
                                canaryWeightTimes.add(Instant.now());
                            }
                        }
                    }

                    @Override
                    public void onClose(WatcherException cause) {
                    }
                }));
        watches.add(client.resources(Rollout.class).inNamespace(NAMESPACE).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Rollout r) {
                var status = r.getStatus();
                if (status == null || status.canaryRevision == null || status.currentStepIndex == null) {
                    return;
                }
                synchronized (stepIndexes) {
                    if (stepIndexes.isEmpty() || !stepIndexes.getLast().equals(status.currentStepIndex)) {
                        stepIndexes.add(status.currentStepIndex);
                    }
                }
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        }));
    }

    @AfterEach
    void tearDown() throws IOException {
        operators.forEach(Operator::kill);
        // Kept for a look after the run: target/leader-failover/<pod>.log
        Path logs = Files.createDirectories(Path.of(System.getProperty("sluice.project.dir", "."), "target", "leader-failover"));
        for (Operator operator : operators) {
            Files.writeString(logs.resolve(operator.podName + ".log"), operator.log());
        }
        watches.forEach(Watch::close);
        deployments.close();
        repo.close();
        api.close();
        try (var files = Files.walk(workDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void theFollowerTakesOverAKilledLeaderAndCarriesTheCanaryOnWithoutRepeatingOrSkippingAStep() throws Exception {
        Operator a = start("sluice-a");
        Lease firstLease = awaitLeaseHeldBy(a);
        assertThat(firstLease.getSpec().getLeaseDurationSeconds()).isEqualTo((int) LEASE.toSeconds());
        Operator b = start("sluice-b");
        await().atMost(WAIT).untilAsserted(() -> assertThat(b.log()).contains("Leader election: the leader is " + a.identity()));
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(a.metrics()).contains("sluice_leader 1.0");
            assertThat(b.metrics()).contains("sluice_leader 0.0");
        });

        String v1 = repo.commit("checkout 1.0", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
        Rollout rollout = createRollout();
        await().atMost(WAIT).until(() -> phase() == RolloutPhase.Healthy);
        assertThat(status().stableRevision).isEqualTo(v1);

        String v2 = repo.commit("checkout 1.1", RolloutFixtures.checkoutManifestsInRepo("checkout:1.1"));
        // In the timed pause after setWeight 20: the leader dies with SIGKILL, leaving its Lease to expire.
        await().atMost(WAIT).until(() -> v2.equals(status().canaryRevision) && Objects.equals(status().currentStepIndex, 1)
                && status().pauseStartTime != null);
        await().atMost(WAIT).untilAsserted(() -> assertThat(canaryWeights).containsExactly(0, 20));
        await().atMost(WAIT).untilAsserted(() -> assertThat(a.metrics())
                .contains("sluice_rollout_canary_weight{namespace=\"shop\",rollout=\"checkout\"} 20.0"));
        assertThat(b.metrics()).as("a follower publishes no Rollout gauges").doesNotContain("sluice_rollout_canary_weight{");
        assertThat(a.log()).containsPattern(ROLLOUT_LOG);
        assertThat(b.log()).as("the follower reconciles nothing").doesNotContainPattern(ROLLOUT_LOG);
        List<Event> eventsBeforeKill = events();
        assertThat(eventsBeforeKill).isNotEmpty()
                .allSatisfy(e -> assertThat(e.getReportingInstance()).isEqualTo(a.identity()));
        String push = "{\"project\":{\"git_http_url\":\"" + repo.fileUrl() + "\"}}";
        HttpResponse<String> toFollower = b.pushWebhook(push);
        assertThat(toFollower.statusCode()).as("a push webhook to the follower").isEqualTo(503);
        assertThat(toFollower.headers().firstValue("Retry-After")).contains(String.valueOf(LEASE.toSeconds()));
        assertThat(toFollower.body()).contains("not the leader");
        assertThat(a.pushWebhook(push).statusCode()).as("a push webhook to the leader").isEqualTo(202);
        Lease leaseBeforeKill = lease().orElseThrow();
        assertThat(leaseBeforeKill.getSpec().getHolderIdentity()).isEqualTo(a.identity());

        String pauseStartedAt = status().pauseStartTime;
        Instant killed = a.kill();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(50))
                .until(() -> lease().map(l -> b.identity().equals(l.getSpec().getHolderIdentity())).orElse(false));
        Instant tookOver = Instant.now();
        Duration takeover = Duration.between(killed, tookOver);
        System.out.printf("LeaderFailoverPackagedIT: leader killed, follower held the Lease after %d ms "
                + "(lease %s, retry period %s)%n", takeover.toMillis(), LEASE, RETRY);
        // The follower may take the Lease once leaseDuration has passed since the leader's last renewal (at or
        // before the kill); it tries every retry period plus a jitter of up to 1.2 retry periods (Fabric8's
        // LeaderElector, as client-go), and a loaded machine needs a moment more (1s).
        assertThat(takeover).isLessThanOrEqualTo(LEASE.plus(RETRY.multipliedBy(22).dividedBy(10)).plusSeconds(1));
        assertThat(lease().orElseThrow().getSpec().getLeaseTransitions())
                .isEqualTo(leaseBeforeKill.getSpec().getLeaseTransitions() + 1);
        await().atMost(WAIT).untilAsserted(() -> assertThat(b.metrics()).contains("sluice_leader 1.0"));
        assertThat(b.log()).contains("Leader election: this instance (" + b.identity() + ") is now the LEADER");

        await().atMost(WAIT).until(() -> phase() == RolloutPhase.Paused && Objects.equals(status().currentStepIndex, 3));
        await().atMost(WAIT).untilAsserted(() -> assertThat(canaryWeights).containsExactly(0, 20, 50));
        RolloutFixtures.editRollout(client, NAMESPACE, "checkout", r -> r.getSpec().promote = RolloutFixtures.promote("p1", false));
        await().atMost(WAIT).until(() -> phase() == RolloutPhase.Healthy && v2.equals(status().stableRevision));

        await().atMost(WAIT).untilAsserted(() -> assertThat(canaryWeights)
                .as("the canary weights the VirtualService carried, in order").containsExactly(0, 20, 50, 80, 0));
        Instant pauseEnds = Instant.parse(pauseStartedAt).plusSeconds(6);
        System.out.printf("LeaderFailoverPackagedIT: the new leader set weight 50 %d ms after it took the Lease and %d ms "
                        + "after the 6s pause ended%n", Duration.between(tookOver, canaryWeightTimes.get(2)).toMillis(),
                Duration.between(pauseEnds, canaryWeightTimes.get(2)).toMillis());
        assertThat(stepIndexes).as("the step index during the canary").isSorted().contains(1, 2, 3, 4);
        List<Event> events = events();
        assertThat(events.stream().filter(e -> "WeightSet".equals(e.getReason())).map(Event::getMessage))
                .as("each weight step completed once").hasSize(3)
                .anySatisfy(m -> assertThat(m).contains("20%"))
                .anySatisfy(m -> assertThat(m).contains("50%"))
                .anySatisfy(m -> assertThat(m).contains("80%"));
        assertThat(events.stream().filter(e -> "PauseStarted".equals(e.getReason()))).hasSize(2);
        assertThat(events).filteredOn(e -> !eventsBeforeKill.stream().map(x -> x.getMetadata().getName()).toList()
                        .contains(e.getMetadata().getName()))
                .as("every later Event comes from the new leader").isNotEmpty()
                .allSatisfy(e -> assertThat(e.getReportingInstance()).isEqualTo(b.identity()));
        assertThat(b.isAlive()).isTrue();
    }

    private Rollout createRollout() {
        Rollout rollout = RolloutFixtures.checkout(repo.fileUrl());
        rollout.getMetadata().setGeneration(null);
        rollout.getSpec().source.git.interval = "1s";
        CanaryStep timed = new CanaryStep();
        timed.pause = new Pause();
        timed.pause.duration = "6s";
        CanaryStep indefinite = new CanaryStep();
        indefinite.pause = new Pause();
        rollout.getSpec().strategy.canary.steps = List.of(CanaryStep.weight(20), timed, CanaryStep.weight(50),
                indefinite, CanaryStep.weight(80));
        return client.resource(rollout).create();
    }

    private io.sluice.api.v1alpha1.RolloutStatus status() {
        Rollout r = client.resources(Rollout.class).inNamespace(NAMESPACE).withName("checkout").get();
        return r == null || r.getStatus() == null ? new io.sluice.api.v1alpha1.RolloutStatus() : r.getStatus();
    }

    private RolloutPhase phase() {
        return status().phase;
    }

    private Optional<Lease> lease() {
        return Optional.ofNullable(client.leases().inNamespace(LEASE_NAMESPACE).withName(LEASE_NAME).get());
    }

    private Lease awaitLeaseHeldBy(Operator operator) {
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(operator.isAlive()).as(operator::log).isTrue();
            assertThat(lease()).get().extracting(l -> l.getSpec().getHolderIdentity()).isEqualTo(operator.identity());
        });
        return lease().orElseThrow();
    }

    private List<Event> events() {
        return client.v1().events().inNamespace(NAMESPACE).list().getItems().stream()
                .filter(e -> "checkout".equals(e.getInvolvedObject().getName())
                        && "Rollout".equals(e.getInvolvedObject().getKind()))
                .toList();
    }

    private Operator start(String podName) throws IOException {
        Path dir = Files.createDirectories(workDir.resolve(podName));
        Path kubeconfig = dir.resolve("kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters: [{name: mock, cluster: {server: "%s"}}]
                users: [{name: test, user: {token: test}}]
                contexts: [{name: mock, context: {cluster: mock, user: test, namespace: default}}]
                current-context: mock
                """.formatted(api.server().url()));
        int port = ExternalProcess.freeLoopbackPort();
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path jar = Path.of(System.getProperty("sluice.project.dir", ".")).resolve("target/quarkus-app/quarkus-run.jar");
        assertThat(jar).as("the packaged operator (run after package)").exists();
        List<String> command = List.of(java,
                "-Dsluice.leader-election.enabled=true",
                "-Dsluice.leader-election.lease-duration=" + LEASE.toSeconds() + "s",
                "-Dsluice.leader-election.renew-deadline=" + RENEW.toSeconds() + "s",
                "-Dsluice.leader-election.retry-period=" + RETRY.toSeconds() + "s",
                "-Dsluice.git.allow-file-urls=true",
                "-Dsluice.outbound.allow-loopback=true",
                "-Dsluice.git.cache-dir=" + dir.resolve("git-cache"),
                "-Dsluice.git.min-fetch-interval=0s",
                "-Dsluice.retry-interval=1s",
                "-Dsluice.timer-resolution=200ms",
                "-Dsluice.metrics-refresh=500ms",
                "-Dsluice.webhook.secret=" + WEBHOOK_SECRET,
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + port,
                "-jar", jar.toString());
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(dir.resolve("operator.log").toFile());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("KUBERNETES_") || k.startsWith("SLUICE_") || k.startsWith("QUARKUS_"));
        env.put("KUBECONFIG", kubeconfig.toString());
        env.put("HOME", dir.toString());
        env.put("POD_NAME", podName);
        env.put("POD_NAMESPACE", LEASE_NAMESPACE);
        Operator operator = new Operator(podName, builder.start(), dir.resolve("operator.log"), port);
        operators.add(operator);
        await().atMost(WAIT).failFast(() -> assertThat(operator.isAlive()).as(() -> podName + " exited:\n" + operator.log()).isTrue())
                .until(() -> operator.identityOrNull() != null);
        return operator;
    }

    /** One operator process: its log, its identity (read from the log) and its metrics endpoint. */
    private static final class Operator {
        private static final Pattern IDENTITY = Pattern.compile("Leader election is on: Lease \\S+, identity (\\S+) ");
        private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        private final String podName;
        private final Process process;
        private final Path log;
        private final int port;

        Operator(String podName, Process process, Path log, int port) {
            this.podName = podName;
            this.process = process;
            this.log = log;
            this.port = port;
        }

        String log() {
            try {
                return Files.exists(log) ? Files.readString(log) : "";
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        String identityOrNull() {
            Matcher m = IDENTITY.matcher(log());
            return m.find() ? m.group(1) : null;
        }

        String identity() {
            String identity = identityOrNull();
            assertThat(identity).as(podName + " identity").isNotNull().startsWith(podName + "_");
            return identity;
        }

        String metrics() throws IOException, InterruptedException {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
        }

        HttpResponse<String> pushWebhook(String body) throws IOException, InterruptedException {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/git"))
                    .header("X-Gitlab-Token", WEBHOOK_SECRET).header("X-Gitlab-Event", "Push Hook")
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        boolean isAlive() {
            return process.isAlive();
        }

        /** SIGKILL: no shutdown hook runs, the Lease is not released. */
        Instant kill() {
            process.destroyForcibly();
            Instant at = Instant.now();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return at;
        }
    }

    @SuppressWarnings("unchecked")
    private static Integer canaryWeight(GenericKubernetesResource vs) {
        Map<String, Object> spec = (Map<String, Object>) vs.getAdditionalProperties().get("spec");
        if (spec == null || !(spec.get("http") instanceof List<?> http) || http.isEmpty()) {
            return null;
        }
        List<Map<String, Object>> route = (List<Map<String, Object>>) ((Map<String, Object>) http.getFirst()).get("route");
        if (route == null) {
            return null;
        }
        return route.stream().filter(d -> "checkout-canary".equals(((Map<String, Object>) d.get("destination")).get("host")))
                .map(d -> ((Number) d.getOrDefault("weight", 0)).intValue()).findFirst().orElse(null);
    }
}
