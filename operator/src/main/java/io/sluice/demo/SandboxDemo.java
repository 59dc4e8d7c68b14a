package io.sluice.demo;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.runtime.ApplicationLifecycleManager;
import io.quarkus.runtime.Quarkus;
import io.sluice.demo.dataplane.HAProxyFixture;
import io.sluice.demo.dataplane.LoadGenerator;
import io.sluice.demo.dataplane.TestBackend;
import io.sluice.demo.dataplane.VirtualServiceBridge;
import io.sluice.demo.process.ExternalProcess;
import io.sluice.demo.prometheus.PrometheusFixture;
import io.sluice.demo.prometheus.ScrapeJob;
import io.sluice.sandbox.SandboxApiServer;
import io.sluice.sandbox.SandboxClientProperties;
import io.sluice.sandbox.SandboxDeploymentController;
import io.sluice.sandbox.SandboxSeed;
import sun.misc.Signal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * {@code sluice run} without a cluster: the whole closed loop on this machine, then two releases
 * delivered live. It starts an embedded sandbox API, a Git repository with the example application
 * ({@code examples/checkout/app}, delivered by the Rollout and SLOs of {@code examples/checkout/demo}),
 * a stable and a canary backend behind a real HAProxy under steady load, a real Prometheus scraping
 * them (the operator's Prometheus endpoint {@code default}), and the operator itself. Stand-ins play
 * the cluster's parts: the Deployment controller, the kubelet ({@link SimulatedPods}) and Istio (the
 * {@link VirtualServiceBridge}). The operator is the real one and knows nothing of the demo.
 * <p>
 * Then it commits a healthy release (promoted step by step) and a broken one (rolled back when its
 * error rate breaches the SLO), narrating each step, weight, measurement and verdict. It keeps
 * running until Ctrl-C or SIGTERM, or with {@code --once} exits after the two releases: 0 when both
 * ended as expected. Everything it started is stopped and its temporary files deleted on the way out.
 */
public final class SandboxDemo {
    public static final String ONCE = "--once";
    private static final String NAMESPACE = "shop";
    private static final String ROLLOUT = "checkout";
    private static final int REQUESTS_PER_SECOND = 50;
    // Load is bounded like every load this project generates; the demo is not meant to run for days.
    private static final Duration LOAD_LIMIT = Duration.ofHours(8);

    private final Path projectDir;
    private final boolean once;
    /** On the terminal: System.out as it is before the {@link OperatorLog} takes it over. */
    private final DemoOutput output = new DemoOutput(System.out, Clock.systemDefaultZone());
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set once the demo is on its way out: what fails from then on is the shutdown, not a release. */
    private final AtomicBoolean stopping = new AtomicBoolean();
    private Path workDir;
    private OperatorLog operatorLog;
    /** Set when the demo failed: its log is then kept after the temporary directory is deleted. */
    private final AtomicBoolean failed = new AtomicBoolean();
    private KubernetesClient api;

    private SandboxDemo(Path projectDir, boolean once) {
        this.projectDir = projectDir;
        this.once = once;
    }

    /**
     * Runs the demo; returns the process's exit code.
     *
     * @param args the command line; {@value #ONCE} is the demo's, the rest goes to Quarkus
     */
    public static int run(Path projectDir, String... args) {
        boolean once = Arrays.asList(args).contains(ONCE);
        String[] quarkusArgs = Arrays.stream(args).filter(a -> !a.equals(ONCE) && !a.equals("--sandbox"))
                .toArray(String[]::new);
        SandboxDemo demo = new SandboxDemo(projectDir, once);
        Thread safetyNet = new Thread(demo::close, "sluice-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(safetyNet);
        try {
            return demo.run(quarkusArgs);
        } finally {
            demo.close();
            try {
                Runtime.getRuntime().removeShutdownHook(safetyNet);
            } catch (IllegalStateException jvmExiting) {
                // the hook is running already, and found everything closed
            }
        }
    }

    private int run(String[] quarkusArgs) {
        long start = System.nanoTime();
        // The demo's own clients use the sluice.io/v1alpha1 types; Fabric8 warns about that, with nothing to act on.
        java.util.logging.Logger.getLogger("io.fabric8.kubernetes.client.dsl.internal.VersionUsageUtils")
                .setLevel(java.util.logging.Level.SEVERE);
        SandboxSeed.Seeded seeded;
        VirtualServiceBridge bridge;
        try {
            workDir = Files.createTempDirectory("sluice-demo-");
            output.line("Sluice demo: the operator, a sandbox API, Git, HAProxy and Prometheus all run on this machine; "
                    + "no Kubernetes cluster is used. Temporary files: %s", workDir);
            // From here on the console shows only the narration; logs and stack traces go to this file.
            operatorLog = keep(OperatorLog.divert(workDir.resolve("operator.log")));

            SandboxApiServer sandbox = keep(SandboxApiServer.start());
            api = sandbox.client();
            sandbox.installCrds(projectDir.resolve("crds"));
            Path kubeconfig = sandbox.writeKubeconfig(workDir.resolve("kubeconfig"), NAMESPACE);
            output.line("sandbox  API server %s (in memory; no pods run). For kubectl and kubectl sluice: export KUBECONFIG=%s",
                    sandbox.url(), kubeconfig);

            TestBackend stable = keep(new TestBackend("checkout-stable").start());
            TestBackend canary = keep(new TestBackend("checkout-canary").start());
            HAProxyFixture haproxy = keep(new HAProxyFixture(stable.hostPort(), canary.hostPort()).start());
            keep(new LoadGenerator(haproxy.trafficUrl(), REQUESTS_PER_SECOND, LOAD_LIMIT,
                    REQUESTS_PER_SECOND * LOAD_LIMIT.toSeconds()).start());
            output.line("haproxy  %s (pid %d) splits traffic between stable %s and canary %s; load: %d requests/s",
                    haproxy.trafficUrl(), haproxy.pid(), stable.hostPort(), canary.hostPort(), REQUESTS_PER_SECOND);

            PrometheusFixture prometheus = keep(new PrometheusFixture(List.of(
                    ScrapeJob.of("haproxy", "/metrics", haproxy.metricsTarget()),
                    ScrapeJob.of("checkout", "/metrics", stable.hostPort(), canary.hostPort()))).start());
            output.line("prometheus %s (pid %d) scrapes HAProxy and both backends every second", prometheus.baseUrl(),
                    prometheus.pid());

            Path example = projectDir.resolve("examples/checkout");
            seeded = SandboxSeed.seed(sandbox.client(), example.resolve("app"),
                    example.resolve("demo/analysis-template.yaml"), example.resolve("demo/rollout.yaml"), workDir);
            output.line("git      %s holds examples/checkout/app at %s; Rollout %s/%s and its SLOs "
                    + "(examples/checkout/demo) created", seeded.gitUrl(), RolloutNarrator.shortRevision(seeded.revision()),
                    NAMESPACE, ROLLOUT);

            keep(new SandboxDeploymentController(sandbox.client()));
            keep(new SimulatedPods(sandbox.client(), NAMESPACE,
                    Map.of("checkout-stable", stable, "checkout-canary", canary),
                    Map.of("checkout-stable", "stable", "checkout-canary", "canary"), output));
            bridge = keep(new VirtualServiceBridge(sandbox.client(), NAMESPACE, "checkout", "primary",
                    VirtualServiceBridge.Versions.byHost("checkout-stable", "checkout-canary"), haproxy).start());
            keep(new RolloutNarrator(sandbox.client(), NAMESPACE, ROLLOUT, bridge, output).start());

            configureOperator(sandbox.url(), prometheus.baseUrl());
        } catch (IOException | RuntimeException e) {
            if (operatorLog != null) {
                e.printStackTrace(); // into the log, which is kept
            }
            failed("demo FAILED to start: %s", e.getMessage() == null ? e.toString() : e.getMessage());
            return 1;
        }

        Thread releases = Thread.ofPlatform().name("demo-releases").daemon().start(() -> {
            int code = runReleases(seeded, start);
            if (once) {
                try {
                    Thread.sleep(RolloutNarrator.CATCH_UP); // the narration's last look: the final measurements and weight
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                Quarkus.asyncExit(code);
            }
        });
        stopOnSignals();

        AtomicInteger exitCode = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Quarkus.run(null, (code, cause) -> {
            exitCode.set(code);
            failure.set(cause);
        }, quarkusArgs);
        stopping.set(true);
        // The releases thread may be committing into the work tree: let it end before the files go.
        releases.interrupt();
        try {
            releases.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure.get() != null) {
            failed("demo FAILED: the operator did not start: %s", rootMessage(failure.get()));
            return exitCode.get() == 0 ? 1 : exitCode.get();
        }
        output.line("stopping: the operator has stopped; stopping load, HAProxy, Prometheus, backends and the sandbox");
        return exitCode.get();
    }

    /** Runs both releases; the exit code {@code --once} ends with. */
    private int runReleases(SandboxSeed.Seeded seeded, long start) {
        try {
            var results = new DemoReleases(api, NAMESPACE, ROLLOUT, seeded.workTree(), output, stopping::get)
                    .run(seeded.revision());
            long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();
            var unexpected = results.stream().filter(r -> !r.asExpected()).toList();
            if (unexpected.isEmpty()) {
                output.line("demo OK: every release had the expected outcome (%s) after %ds",
                        String.join(", ", results.stream().map(r -> r.outcome().text).toList()), seconds);
            } else {
                unexpected.forEach(r -> failed("demo FAILED: %s was %s, expected %s", r.release().title(),
                        r.outcome().text, r.release().expected().text));
            }
            if (!once) {
                Path tree = seeded.workTree();
                output.line("The demo keeps running: the operator reconciles, load flows. Ctrl-C stops everything.");
                output.line("Release again from the work tree: change the image tag in %s, then "
                        + "git -C %s commit -am 'checkout 1.7.0' && git -C %s push (to %s). "
                        + "An env var %s=0.2 in the container makes the release fail.",
                        tree.resolve(DemoReleases.DEPLOYMENT_FILE), tree, tree, seeded.gitUrl(), SimulatedPods.ERROR_RATE);
            }
            return unexpected.isEmpty() ? 0 : 1;
        } catch (InterruptedException e) {
            return 130;
        } catch (RuntimeException e) {
            if (!stopping.get()) {
                failed("demo FAILED: %s", e.getMessage());
            }
            return 1;
        }
    }

    /**
     * Ctrl-C or SIGTERM stops the operator first (Quarkus returns from run), and then everything else in
     * order. A second signal exits at once; the shutdown hook still stops what was started.
     */
    private void stopOnSignals() {
        // one handler for both; the JVM's default would run the shutdown hooks concurrently with Quarkus' own
        AtomicBoolean signalled = new AtomicBoolean();
        for (String name : List.of("INT", "TERM")) {
            int code = 128 + ("INT".equals(name) ? 2 : 15);
            Signal.handle(new Signal(name), signal -> {
                var application = ApplicationLifecycleManager.getCurrentApplication();
                stopping.set(true);
                if (signalled.compareAndSet(false, true) && application != null && application.isStarted()) {
                    output.line("stopping (SIG%s)", name);
                    Quarkus.asyncExit(code);
                } else {
                    System.exit(code);
                }
            });
        }
    }

    /** Tells how the demo failed, and keeps its log for after the temporary files are gone. */
    private void failed(String format, Object... args) {
        failed.set(true);
        output.line(format, args);
    }

    /** The operator reads these at startup: the sandbox API, the demo's Prometheus, and quick Git polling. */
    private void configureOperator(String apiUrl, String prometheusUrl) {
        SandboxClientProperties.pointAt(apiUrl);
        System.setProperty("sluice.prometheus.default.address", prometheusUrl);
        System.setProperty("sluice.outbound.allow-loopback", "true"); // everything the demo runs is on this machine
        System.setProperty("sluice.git.allow-file-urls", "true"); // the example is served from a local repository
        System.setProperty("sluice.git.cache-dir", workDir.resolve("git-cache").toString());
        setIfAbsent("sluice.git.min-fetch-interval", "1s");
        setIfAbsent("quarkus.http.host", "127.0.0.1");
        setIfAbsent("quarkus.http.port", String.valueOf(ExternalProcess.freeLoopbackPort()));
        // The console belongs to the narration; the operator's log, warnings and errors too, goes to a file.
        OperatorLog.quarkusSettings(operatorLog.file()).forEach(SandboxDemo::setIfAbsent);
        // Micrometer warns that Netty registers one gauge twice; nothing the demo can act on.
        setIfAbsent("quarkus.log.category.\"io.micrometer.core.instrument.MeterRegistry\".level", "ERROR");
        output.line("operator starting: metrics on http://%s:%s/q/metrics; its log (warnings and errors too) is in %s",
                System.getProperty("quarkus.http.host"), System.getProperty("quarkus.http.port"),
                System.getProperty("quarkus.log.file.path"));
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private <T extends AutoCloseable> T keep(T resource) {
        started.push(resource);
        return resource;
    }

    /** Stops everything in the reverse order of starting and deletes the temporary files; once. */
    private synchronized void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        while (!started.isEmpty()) {
            AutoCloseable resource = started.pop();
            try {
                resource.close();
            } catch (Exception e) {
                output.line("stopping: could not stop %s: %s", resource.getClass().getSimpleName(), e);
            }
        }
        if (workDir != null) {
            if (failed.get() && operatorLog != null) {
                keepLog(operatorLog.file());
            }
            String problem = deleteRecursively(workDir);
            if (problem == null) {
                output.line("stopped; deleted %s", workDir);
            } else {
                output.line("stopped; could not delete %s: %s", workDir, problem);
            }
        }
    }

    /** Copies the log of a demo that failed out of the temporary directory, which is about to go. */
    private void keepLog(Path log) {
        try {
            Path kept = Files.createTempFile("sluice-demo-operator-", ".log");
            Files.copy(log, kept, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            output.line("the operator's log is kept in %s", kept);
        } catch (IOException e) {
            output.line("could not keep the operator's log %s: %s", log, e.getMessage());
        }
    }

    /**
     * Deletes {@code dir}; a few attempts, in case something still being stopped wrote into it meanwhile.
     *
     * @return null when it is gone, else why not
     */
    private static String deleteRecursively(Path dir) {
        IOException last = null;
        for (int attempt = 0; attempt < 5 && Files.exists(dir); attempt++) {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            } catch (IOException e) {
                last = e;
            } catch (UncheckedIOException e) {
                last = e.getCause();
            }
        }
        return Files.exists(dir) ? String.valueOf(last) : null;
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }
}
