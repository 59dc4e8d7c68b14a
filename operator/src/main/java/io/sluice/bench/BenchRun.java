package io.sluice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import org.eclipse.jgit.api.Git;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One benchmark run: N Rollouts, one garbage collector. The API stand-in ({@link BenchApiServer}) and
 * the operator (the packaged {@code quarkus-run.jar}) each run in their own JVM; this harness drives
 * the workload and measures from outside.
 */
final class BenchRun {
    static final String WEBHOOK_SECRET = "bench-webhook-secret";
    static final String SLO_QUERY = "bench_error_rate";

    private final Benchmark.Options options;
    private final int n;
    private final String gc;
    private final Path dir;
    private final Path quarkusApp;
    private final ObjectNode result = Kube.JSON.createObjectNode();
    private final List<Process> processes = new ArrayList<>();

    BenchRun(Benchmark.Options options, int n, String gc, Path dir, Path quarkusApp) {
        this.options = options;
        this.n = n;
        this.gc = gc;
        this.dir = dir;
        this.quarkusApp = quarkusApp;
    }

    /** The Rollouts whose canaries run an analysis (the rollback sample); the others pause. */
    int sampleSize() {
        return Math.max(2, Math.min(options.sample(), n / 10));
    }

    static String namespace(int i) {
        return String.format("b%05d", i);
    }

    private void log(String format, Object... args) {
        System.out.printf("[bench %s N=%d] %s%n", gc, n, String.format(format, args));
        System.out.flush();
    }

    ObjectNode run() throws Exception {
        Files.createDirectories(dir);
        result.put("n", n).put("gc", gc).put("heapMax", options.heap());
        int samples = sampleSize();
        result.put("analysisSample", samples).put("repositories", options.repos());
        try {
            execute(samples);
        } catch (Exception e) {
            // what was measured stays in the report, with what went wrong
            result.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
            log("FAILED: %s", e.getMessage());
        } finally {
            for (Process p : processes.reversed()) {
                stop(p);
            }
        }
        return result;
    }

    private void execute(int samples) throws Exception {
        // ---- Git: options.repos() repositories shared by the paused Rollouts, one for the analysis sample
        List<Path> repos = new ArrayList<>();
        for (int r = 0; r < options.repos(); r++) {
            repos.add(createRepo(dir.resolve("git/repo-" + r), "1.0.0"));
        }
        Path analysisRepo = createRepo(dir.resolve("git/repo-analysis"), "1.0.0");

        // ---- the API stand-in, in its own JVM
        Path portFile = dir.resolve("api.port");
        Files.deleteIfExists(portFile);
        Process api = start(List.of(java(), "-Xmx3g", "-XX:+UseParallelGC", "-Dbench.api.log=" + Boolean.getBoolean("bench.api.log"), "-cp", classpath(),
                BenchApiServer.class.getName(), portFile.toString()), dir.resolve("api.log"), Map.of());
        waitFor("the API stand-in", Duration.ofSeconds(60), () -> Files.exists(portFile));
        String apiUrl = "http://127.0.0.1:" + Files.readString(portFile).strip();
        Path kubeconfig = writeKubeconfig(apiUrl);

        try (Kube kube = new Kube(apiUrl); FakePrometheus prometheus = new FakePrometheus()) {
            long setupStart = System.nanoTime();
            kube.create("/apis/sluice.io/v1alpha1/clusteranalysistemplates", template());
            createRollouts(kube, repos, analysisRepo, samples);
            result.put("setupSeconds", seconds(System.nanoTime() - setupStart));

            // ---- what the harness watches
            Map<String, JsonNode> rollouts = new ConcurrentHashMap<>();
            Map<String, Long> firstSeen = new ConcurrentHashMap<>();
            kube.listAndWatch("/apis/sluice.io/v1alpha1/rollouts", (type, o) -> {
                String ns = o.path("metadata").path("namespace").asText();
                rollouts.put(ns, o);
                JsonNode st = o.path("status");
                if (st.path("canaryWeight").asInt(0) > 0) {
                    firstSeen.putIfAbsent(ns + "/" + st.path("canaryRevision").asText(), System.nanoTime());
                }
            });
            Set<String> sampleNs = ConcurrentHashMap.newKeySet();
            for (int i = 0; i < samples; i++) {
                sampleNs.add(namespace(i));
            }
            Map<String, Long> stableAgain = new ConcurrentHashMap<>();
            Map<String, Instant> stableAgainAt = new ConcurrentHashMap<>();
            long[] breachFlip = {Long.MAX_VALUE};
            kube.listAndWatch("/apis/networking.istio.io/v1/virtualservices", (type, o) -> {
                String ns = o.path("metadata").path("namespace").asText();
                if (sampleNs.contains(ns) && System.nanoTime() > breachFlip[0] && canaryWeight(o) == 0) {
                    if (stableAgain.putIfAbsent(ns, System.nanoTime()) == null) {
                        stableAgainAt.put(ns, Instant.now());
                    }
                }
            });
            Map<String, JsonNode> runs = new ConcurrentHashMap<>();
            kube.listAndWatch("/apis/sluice.io/v1alpha1/analysisruns",
                    (type, o) -> runs.put(o.path("metadata").path("namespace").asText() + "/" + o.path("metadata").path("name").asText(), o));

            // ---- the operator, in its own JVM, with the chosen heap and collector
            int httpPort = freePort();
            List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx" + options.heap()));
            cmd.addAll(gcFlags(gc));
            cmd.addAll(List.of("-Xlog:gc*:file=" + dir.resolve("gc.log") + ":uptime,level,tags",
                    "-Dquarkus.http.port=" + httpPort,
                    "-Dquarkus.http.host=127.0.0.1",
                    "-Dsluice.git.allow-file-urls=true",
                    "-Dsluice.outbound.allow-loopback=true",
                    "-Dsluice.git.cache-dir=" + dir.resolve("git-cache"),
                    "-Dsluice.webhook.secret=" + WEBHOOK_SECRET,
                    "-Dsluice.prometheus.default.address=" + prometheus.url(),
                    "-jar", quarkusApp.resolve("quarkus-run.jar").toString()));
            long operatorStart = System.nanoTime();
            Process operator = start(cmd, dir.resolve("operator.log"),
                    Map.of("KUBECONFIG", kubeconfig.toString(), "HOME", dir.toString()));
            String metricsUrl = "http://127.0.0.1:" + httpPort + "/q/metrics";
            waitFor("the operator's HTTP endpoint", Duration.ofSeconds(120), () -> httpGet(metricsUrl) != null);
            result.put("operatorStartSeconds", seconds(System.nanoTime() - operatorStart));
            log("operator up after %.1fs; waiting for %d Rollouts to be Healthy", seconds(System.nanoTime() - operatorStart), n);

            // ---- 1. sync and reconcile everything
            waitFor("all Rollouts Healthy", timeout(), () -> healthy(rollouts) >= n, () -> healthy(rollouts) + "/" + n + " Healthy");
            result.put("syncSeconds", seconds(System.nanoTime() - operatorStart));
            log("all %d Healthy after %.1fs", n, result.get("syncSeconds").asDouble());

            // ---- 2. idle: CPU seconds and Git fetches over the idle window
            Thread.sleep(options.settleSeconds() * 1000L);
            long pid = operator.pid();
            double cpu0 = cpuSeconds(pid);
            double fetches0 = fetches(metricsUrl);
            long idleStart = System.nanoTime();
            Thread.sleep(options.idleSeconds() * 1000L);
            double idleWindow = seconds(System.nanoTime() - idleStart);
            double cpu1 = cpuSeconds(pid);
            double fetches1 = fetches(metricsUrl);
            double interval = 60; // the Rollouts' source.git.interval (1m)
            result.put("idleWindowSeconds", idleWindow);
            result.put("idleCpuSeconds", round(cpu1 - cpu0, 3));
            result.put("idleCpuSecondsPerMinute", round((cpu1 - cpu0) * 60 / idleWindow, 3));
            result.put("gitFetchesInIdleWindow", fetches1 - fetches0);
            result.put("gitFetchesPerInterval", round((fetches1 - fetches0) * interval / idleWindow, 1));
            result.put("gitFetchesPerRepositoryPerInterval", round((fetches1 - fetches0) * interval / idleWindow / (options.repos() + 1), 2));
            log("idle: %.2f CPU s over %.0fs, %.0f Git fetches", cpu1 - cpu0, idleWindow, fetches1 - fetches0);

            // ---- 3. memory at steady state
            Path histogram = dir.resolve("class-histogram.txt");
            String histo = jcmd(pid, "GC.class_histogram");
            Files.writeString(histogram, histo);
            result.put("liveHeapBytes", histogramTotal(histo));
            result.put("liveHeapMiB", round(histogramTotal(histo) / 1048576.0, 1));
            String heapInfo = jcmd(pid, "GC.heap_info");
            Files.writeString(dir.resolve("heap-info.txt"), heapInfo);
            result.put("rssMiB", round(rssKiB(pid) / 1024.0, 1));
            log("live heap %.1f MiB, RSS %.1f MiB", result.get("liveHeapMiB").asDouble(), result.get("rssMiB").asDouble());

            // ---- 4. the raw API write rate and latency, same API, same moment
            rawWrites(kube);

            // ---- 5. the analysis sample reaches its analysis step (its own repository and commit)
            String analysisRevision = commit(analysisRepo, "1.0.1");
            push(httpPort, analysisRepo);
            waitFor("the sample's analyses running", timeout(), () -> runningWithMeasurement(runs, sampleNs) >= samples,
                    () -> runningWithMeasurement(runs, sampleNs) + "/" + samples + " analyses measuring");

            // ---- 6. one commit touches every other Rollout; meanwhile the sample's SLO breaches
            List<String> revisions = new ArrayList<>();
            for (Path repo : repos) {
                revisions.add(commit(repo, "1.0.1"));
            }
            WriteProbe loadedWrites = new WriteProbe(kube).start(); // the API's write latency under the wave's load
            long waveStart = System.nanoTime();
            breachFlip[0] = waveStart;
            Instant flipAt = Instant.now();
            prometheus.value = 1.0;
            for (Path repo : repos) {
                push(httpPort, repo);
            }
            int others = n - samples;
            waitFor("the first canary step of every other Rollout", timeout(),
                    () -> firstSteps(firstSeen, revisions, samples) >= others,
                    () -> firstSteps(firstSeen, revisions, samples) + "/" + others + " took their first step");
            double wave = seconds(lastFirstStep(firstSeen, revisions, samples) - waveStart);
            result.put("waveRollouts", others);
            result.put("waveSeconds", round(wave, 3));
            waitFor("the sample back at 100% stable", timeout(), () -> stableAgain.size() >= samples,
                    () -> stableAgain.size() + "/" + samples + " rolled back");
            List<Double> loaded = loadedWrites.stop();
            result.put("loadedWrites", loaded.size());
            result.put("loadedWriteP50Ms", round(GcLog.percentile(loaded, 50), 3));
            result.put("loadedWriteP99Ms", round(GcLog.percentile(loaded, 99), 3));
            List<Double> reactions = new ArrayList<>();
            for (String ns : sampleNs) {
                Instant breach = firstFailedMeasurement(runs, ns, flipAt);
                if (breach != null) {
                    reactions.add(Duration.between(breach, stableAgainAt.get(ns)).toNanos() / 1e6);
                }
            }
            result.put("rollbackSamples", reactions.size());
            result.put("rollbackP50Ms", round(GcLog.percentile(reactions, 50), 2));
            result.put("rollbackP99Ms", round(GcLog.percentile(reactions, 99), 2));
            result.put("rollbackMaxMs", round(reactions.stream().mapToDouble(d -> d).max().orElse(0), 2));
            double rawRate = result.get("rawWritesPerSecond").asDouble();
            result.put("waveRatioToRawWrites", round(wave / (others / rawRate), 2));
            result.put("rollbackRatioP50", ratio("rollbackP50Ms", "rawWriteP50Ms"));
            result.put("rollbackRatioP99", ratio("rollbackP99Ms", "rawWriteP99Ms"));
            result.put("rollbackRatioLoadedP50", ratio("rollbackP50Ms", "loadedWriteP50Ms"));
            result.put("rollbackRatioLoadedP99", ratio("rollbackP99Ms", "loadedWriteP99Ms"));
            log("wave %.1fs for %d Rollouts; rollback p50 %.1f ms p99 %.1f ms (raw write p50 %.2f ms; during the wave p50 %.2f ms "
                    + "p99 %.2f ms over %d writes)", wave, others, result.get("rollbackP50Ms").asDouble(),
                    result.get("rollbackP99Ms").asDouble(), result.get("rawWriteP50Ms").asDouble(),
                    result.get("loadedWriteP50Ms").asDouble(), result.get("loadedWriteP99Ms").asDouble(), loaded.size());
            result.put("analysisRevision", analysisRevision);

            // ---- 7. GC pauses over the whole run (the harness's own explicit collections left out)
            stop(operator);
            processes.remove(operator);
            gcFigures(result, dir.resolve("gc.log"));
            GcLog pauses = GcLog.parse(dir.resolve("gc.log"));
            log("GC: %d pauses, p50 %.3f ms, p99 %.3f ms, max %.3f ms", pauses.pausesMs().size(),
                    result.get("gcPauseP50Ms").asDouble(), result.get("gcPauseP99Ms").asDouble(), result.get("gcPauseMaxMs").asDouble());
        }
    }

    /** Pause and allocation-stall figures from the operator's GC log into the run's result. */
    static void gcFigures(ObjectNode result, Path gcLog) throws IOException {
        GcLog pauses = GcLog.parse(gcLog);
        result.put("gcPauseCount", pauses.pausesMs().size());
        result.put("gcPauseP50Ms", round(GcLog.percentile(pauses.pausesMs(), 50), 3));
        result.put("gcPauseP99Ms", round(GcLog.percentile(pauses.pausesMs(), 99), 3));
        result.put("gcPauseMaxMs", round(pauses.pausesMs().stream().mapToDouble(d -> d).max().orElse(0), 3));
        result.put("gcPausesOver1Ms", pauses.pausesMs().stream().filter(d -> d > 1).count());
        result.put("gcExplicitCollectionsExcluded", pauses.explicitCollections());
        // ZGC does not pause for a full heap: threads that allocate wait instead (not a GC pause, but a wait)
        result.put("allocationStalls", pauses.stallsMs().size());
        result.put("allocationStallMaxMs", round(pauses.stallsMs().stream().mapToDouble(d -> d).max().orElse(0), 1));
        result.put("allocationStallTotalMs", round(pauses.stallsMs().stream().mapToDouble(d -> d).sum(), 1));
    }

    // ------------------------------------------------------------------------------------------ workload

    private static Path createRepo(Path dir, String version) throws Exception {
        Files.createDirectories(dir);
        try (Git git = Git.init().setInitialBranch("main").setDirectory(dir.toFile()).call()) {
            writeManifests(dir, version);
            git.add().addFilepattern(".").call();
            git.commit().setMessage("app " + version).setAuthor("bench", "bench@sluice.io")
                    .setCommitter("bench", "bench@sluice.io").setSign(false).call();
        }
        return dir;
    }

    private static String commit(Path dir, String version) throws Exception {
        try (Git git = Git.open(dir.toFile())) {
            writeManifests(dir, version);
            git.add().addFilepattern(".").call();
            return git.commit().setMessage("app " + version).setAuthor("bench", "bench@sluice.io")
                    .setCommitter("bench", "bench@sluice.io").setSign(false).call().getName();
        }
    }

    private static void writeManifests(Path repo, String version) throws IOException {
        Path app = repo.resolve("apps/app");
        Files.createDirectories(app);
        Files.writeString(app.resolve("deployment.yaml"), """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: app
                spec:
                  replicas: 2
                  selector:
                    matchLabels: {app: app}
                  template:
                    metadata:
                      labels: {app: app}
                    spec:
                      containers:
                      - name: app
                        image: registry.example/app:%s
                        ports:
                        - {containerPort: 8080, name: http}
                """.formatted(version));
        Files.writeString(app.resolve("service.yaml"), """
                apiVersion: v1
                kind: Service
                metadata:
                  name: app
                spec:
                  selector: {app: app}
                  ports:
                  - {name: http, port: 80, targetPort: http}
                """);
        Files.writeString(app.resolve("virtualservice.yaml"), """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                  name: app
                spec:
                  hosts: [app]
                  http:
                  - name: primary
                    route:
                    - destination: {host: app}
                """);
    }

    private static JsonNode template() {
        ObjectNode t = Kube.JSON.createObjectNode().put("apiVersion", "sluice.io/v1alpha1").put("kind", "ClusterAnalysisTemplate");
        t.putObject("metadata").put("name", "bench-slo");
        ObjectNode metric = t.putObject("spec").putArray("metrics").addObject();
        metric.put("name", "error-rate").put("interval", "1s").put("failureLimit", 0).put("count", 3600).put("successCondition", "result < 0.05");
        metric.putObject("provider").putObject("prometheus").put("query", SLO_QUERY);
        return t;
    }

    private void createRollouts(Kube kube, List<Path> repos, Path analysisRepo, int samples) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                done.add(pool.submit(() -> kube.create("/apis/sluice.io/v1alpha1/namespaces/" + namespace(index) + "/rollouts",
                        rollout(namespace(index), index < samples ? analysisRepo : repos.get(index % repos.size()), index < samples))));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    private static JsonNode rollout(String namespace, Path repo, boolean analysis) {
        ObjectNode r = Kube.JSON.createObjectNode().put("apiVersion", "sluice.io/v1alpha1").put("kind", "Rollout");
        r.putObject("metadata").put("name", "app").put("namespace", namespace);
        ObjectNode spec = r.putObject("spec");
        spec.putObject("source").putObject("git").put("url", repo.toUri().toString()).put("ref", "main")
                .put("path", "apps/app").put("interval", "1m");
        spec.putObject("workloadRef").put("kind", "Deployment").put("name", "app");
        ObjectNode canary = spec.putObject("strategy").putObject("canary");
        canary.putObject("trafficRouting").putObject("istio").putObject("virtualService").put("name", "app")
                .putArray("routes").add("primary");
        ArrayNode steps = canary.putArray("steps");
        steps.addObject().put("setWeight", 10);
        if (analysis) {
            steps.addObject().putObject("analysis").putArray("templates").addObject().put("name", "bench-slo").put("clusterScope", true);
            steps.addObject().put("setWeight", 50);
        }
        steps.addObject().putObject("pause");
        return r;
    }

    /** The canary's weight in the first managed route, 0 when it has no canary destination. */
    static int canaryWeight(JsonNode vs) {
        for (JsonNode route : vs.path("spec").path("http")) {
            for (JsonNode d : route.path("route")) {
                if (d.path("destination").path("host").asText().contains("-canary")) {
                    return d.path("weight").asInt(0);
                }
            }
        }
        return 0;
    }

    private static long healthy(Map<String, JsonNode> rollouts) {
        return rollouts.values().stream().filter(r -> "Healthy".equals(r.path("status").path("phase").asText())).count();
    }

    private static long runningWithMeasurement(Map<String, JsonNode> runs, Set<String> sampleNs) {
        return runs.entrySet().stream().filter(e -> sampleNs.contains(e.getKey().split("/")[0]))
                .filter(e -> "Running".equals(e.getValue().path("status").path("phase").asText()))
                .filter(e -> e.getValue().path("status").path("metricResults").path(0).path("count").asInt(0) > 0)
                .map(e -> e.getKey().split("/")[0]).distinct().count();
    }

    private long firstSteps(Map<String, Long> firstSeen, List<String> revisions, int samples) {
        long count = 0;
        for (int i = samples; i < n; i++) {
            if (firstSeen.containsKey(namespace(i) + "/" + revisions.get(i % revisions.size()))) {
                count++;
            }
        }
        return count;
    }

    private long lastFirstStep(Map<String, Long> firstSeen, List<String> revisions, int samples) {
        long last = 0;
        for (int i = samples; i < n; i++) {
            last = Math.max(last, firstSeen.get(namespace(i) + "/" + revisions.get(i % revisions.size())));
        }
        return last;
    }

    /** When the first failing measurement after the flip finished, from the AnalysisRun's status. */
    private static Instant firstFailedMeasurement(Map<String, JsonNode> runs, String ns, Instant flip) {
        Instant first = null;
        for (var e : runs.entrySet()) {
            if (!e.getKey().startsWith(ns + "/")) {
                continue;
            }
            for (JsonNode mr : e.getValue().path("status").path("metricResults")) {
                for (JsonNode m : mr.path("measurements")) {
                    if ("Failed".equals(m.path("phase").asText()) && m.hasNonNull("finishedAt")) {
                        Instant at = Instant.parse(m.get("finishedAt").asText());
                        if (!at.isBefore(flip) && (first == null || at.isBefore(first))) {
                            first = at;
                        }
                    }
                }
            }
        }
        return first;
    }

    // ------------------------------------------------------------------------------------------ measurements

    /** One figure of this run's result over another, to one decimal. */
    private double ratio(String numerator, String denominator) {
        return round(result.get(numerator).asDouble() / result.get(denominator).asDouble(), 1);
    }

    private void rawWrites(Kube kube) {
        TimedWrites writes = new TimedWrites(kube, "raw-writes");
        int warmup = Math.max(50, options.rawWrites() / 10);
        for (int i = 0; i < warmup; i++) {
            writes.write();
        }
        List<Double> l = new ArrayList<>(options.rawWrites());
        long start = System.nanoTime();
        for (int i = 0; i < options.rawWrites(); i++) {
            l.add(writes.write());
        }
        double total = seconds(System.nanoTime() - start);
        result.put("rawWrites", options.rawWrites());
        result.put("rawWritesPerSecond", round(options.rawWrites() / total, 1));
        result.put("rawWriteP50Ms", round(GcLog.percentile(l, 50), 3));
        result.put("rawWriteP99Ms", round(GcLog.percentile(l, 99), 3));
        log("raw writes: %.0f/s, p50 %.3f ms, p99 %.3f ms", result.get("rawWritesPerSecond").asDouble(),
                result.get("rawWriteP50Ms").asDouble(), result.get("rawWriteP99Ms").asDouble());
    }

    /** Updates of one ConfigMap of the harness's own, one after another, each timed. */
    private static final class TimedWrites {
        private static final String PATH = "/api/v1/namespaces/bench/configmaps";
        private final Kube kube;
        private final String name;
        private JsonNode current;
        private int count;

        TimedWrites(Kube kube, String name) {
            this.kube = kube;
            this.name = name;
            ObjectNode cm = Kube.JSON.createObjectNode().put("apiVersion", "v1").put("kind", "ConfigMap");
            cm.putObject("metadata").put("name", name).put("namespace", "bench");
            cm.putObject("data").put("i", "0");
            current = kube.create(PATH, cm);
        }

        /** One update, guarded by the version the last one returned; its latency in milliseconds. */
        double write() {
            ObjectNode next = current.deepCopy();
            next.with("data").put("i", Integer.toString(++count));
            long t0 = System.nanoTime();
            Kube.Answer a = kube.send("PUT", PATH + "/" + name, next);
            long t1 = System.nanoTime();
            if (a.code() != 200) {
                throw new IllegalStateException("write of ConfigMap " + name + " failed: " + a.code() + " " + a.body());
            }
            current = a.body();
            return (t1 - t0) / 1e6;
        }
    }

    /**
     * Raw writes while the operator is busy: one update of a ConfigMap of its own every 20 ms, each
     * timed, from start to stop. The idle raw-write figures say what the API can do; these say what a
     * single write costs at the moment the rollbacks happen, on the same loaded machine.
     */
    private static final class WriteProbe {
        private final Kube kube;
        private final List<Double> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        private volatile boolean stopped;
        private Thread thread;

        WriteProbe(Kube kube) {
            this.kube = kube;
        }

        WriteProbe start() {
            TimedWrites writes = new TimedWrites(kube, "loaded-writes");
            thread = Thread.ofPlatform().daemon().name("loaded-write probe").start(() -> {
                while (!stopped) {
                    latencies.add(writes.write());
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            return this;
        }

        List<Double> stop() throws InterruptedException {
            stopped = true;
            thread.join(10_000);
            if (latencies.isEmpty()) {
                throw new IllegalStateException("the loaded-write probe measured nothing");
            }
            synchronized (latencies) {
                return List.copyOf(latencies);
            }
        }
    }

    /** A signed GitHub push webhook for the repository. */
    private static void push(int httpPort, Path repo) throws Exception {
        byte[] body = ("{\"ref\":\"refs/heads/main\",\"repository\":{\"clone_url\":\"" + repo.toUri() + "\"}}")
                .getBytes(StandardCharsets.UTF_8);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(WEBHOOK_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String signature = "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/webhooks/git"))
                    .header("Content-Type", "application/json").header("X-GitHub-Event", "push")
                    .header("X-Hub-Signature-256", signature).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 202) {
                throw new IllegalStateException("the webhook answered " + r.statusCode() + ": " + r.body());
            }
        }
    }

    private static double fetches(String metricsUrl) {
        String text = httpGet(metricsUrl);
        if (text == null) {
            throw new IllegalStateException("cannot read " + metricsUrl);
        }
        double total = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("sluice_git_fetches_total")) {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return total;
    }

    static double cpuSeconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // after the command: state(0) ... utime is field 14 overall, index 11 here; stime index 12
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    }

    static long rssKiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }

    static long histogramTotal(String histogram) {
        Matcher m = Pattern.compile("(?m)^Total\\s+(\\d+)\\s+(\\d+)").matcher(histogram);
        if (!m.find()) {
            throw new IllegalStateException("no total in the class histogram");
        }
        return Long.parseLong(m.group(2));
    }

    private static String jcmd(long pid, String command) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + command + " failed: " + out);
        }
        return out;
    }

    static List<String> gcFlags(String gc) {
        return switch (gc) {
            case "g1" -> List.of("-XX:+UseG1GC");
            case "zgc" -> List.of("-XX:+UseZGC"); // generational: the only ZGC mode since JDK 23
            case "parallel" -> List.of("-XX:+UseParallelGC");
            default -> throw new IllegalArgumentException("unknown collector " + gc + " (g1, zgc, parallel)");
        };
    }

    // ------------------------------------------------------------------------------------------ plumbing

    private Duration timeout() {
        return Duration.ofSeconds(120 + n * options.timeoutMillisPerRollout() / 1000);
    }

    private Process start(List<String> command, Path logFile, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(logFile.toFile());
        pb.environment().remove("KUBECONFIG");
        pb.environment().putAll(env);
        Process p = pb.start();
        processes.add(p);
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly)); // never outlive the harness
        return p;
    }

    private static void stop(Process p) {
        if (!p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String classpath() {
        return String.join(java.io.File.pathSeparator, System.getProperty("bench.extra.cp", quarkusApp.resolve("app/*").toString()), quarkusApp.resolve("app/*").toString(),
                quarkusApp.resolve("lib/main/*").toString(), quarkusApp.resolve("lib/boot/*").toString());
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private Path writeKubeconfig(String apiUrl) throws IOException {
        Path file = dir.resolve("kubeconfig");
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: bench
                  cluster: {server: "%s"}
                users:
                - name: bench
                  user: {token: bench}
                contexts:
                - name: bench
                  context: {cluster: bench, user: bench, namespace: default}
                current-context: bench
                """.formatted(apiUrl));
        return file;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String httpGet(String url) {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private void waitFor(String what, Duration timeout, BooleanSupplier condition) throws Exception {
        waitFor(what, timeout, condition, () -> "");
    }

    private void waitFor(String what, Duration timeout, BooleanSupplier condition, java.util.function.Supplier<String> progress)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            for (Process p : processes) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("a process died while waiting for " + what + " (exit " + p.exitValue()
                            + "); see the logs in " + dir);
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout.toSeconds() + "s waiting for " + what + ": "
                        + progress.get() + "; see the logs in " + dir);
            }
            if (System.nanoTime() > nextReport) {
                log("waiting for %s: %s", what, progress.get());
                nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            }
            Thread.sleep(50);
        }
    }

    static double seconds(long nanos) {
        return round(nanos / 1e9, 3);
    }

    static double round(double v, int places) {
        double f = Math.pow(10, places);
        return Math.round(v * f) / f;
    }

    /**
     * Answers Prometheus' instant-query API ({@code /api/v1/query}) with one sample whose value the
     * harness sets: a stand-in for the SLO's data source, so the benchmark times the operator's
     * reaction to a breach, not Prometheus'.
     */
    static final class FakePrometheus implements AutoCloseable {
        volatile double value = 0.0;
        private final HttpServer server;

        FakePrometheus() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
            server.setExecutor(Executors.newFixedThreadPool(4));
            server.createContext("/api/v1/query", ex -> {
                String body = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":["
                        + (System.currentTimeMillis() / 1000.0) + ",\"" + value + "\"]}]}}";
                byte[] b = body.getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, b.length);
                try (var out = ex.getResponseBody()) {
                    out.write(b);
                }
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
            ((ExecutorService) server.getExecutor()).shutdownNow();
        }
    }
}
