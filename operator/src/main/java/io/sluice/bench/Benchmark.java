package io.sluice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The benchmark harness ({@code ./sluice bench}): for every N and collector, one {@link BenchRun};
 * then the results as JSON, as a Markdown table between markers in the report, and as a chart.
 *
 * <pre>
 * ./sluice bench [--sizes 1000,5000,10000] [--gcs g1,zgc] [--idle-seconds 60] [--out docs] [--smoke]
 * </pre>
 */
public final class Benchmark {
    static final String BEGIN = "<!-- BEGIN GENERATED: ./sluice bench -->";
    static final String END = "<!-- END GENERATED -->";

    /** What to run; see {@link #parse}. */
    public record Options(List<Integer> sizes, List<String> gcs, int idleSeconds, int settleSeconds, String heap,
            int repos, int sample, int rawWrites, long timeoutMillisPerRollout, Path out, Path work, Path quarkusApp,
            boolean append, boolean reportOnly) {
    }

    private Benchmark() {
    }

    public static void main(String[] args) throws Exception {
        Options options = parse(args);
        Path json = run(options);
        System.out.println("bench: results in " + json);
    }

    public static Options parse(String... args) {
        List<Integer> sizes = List.of(1000, 5000, 10000);
        List<String> gcs = List.of("g1", "zgc");
        int idle = 60;
        int settle = 5;
        String heap = "512m";
        int rawWrites = 2000;
        Path out = Path.of("docs");
        Path work = Path.of("target/bench");
        Path app = Path.of("target/quarkus-app");
        boolean smoke = false;
        boolean append = false;
        boolean reportOnly = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--sizes" -> sizes = Arrays.stream(args[++i].split(",")).map(String::strip).map(Integer::parseInt).toList();
                case "--gcs" -> gcs = Arrays.stream(args[++i].split(",")).map(String::strip).toList();
                case "--idle-seconds" -> idle = Integer.parseInt(args[++i]);
                case "--heap" -> heap = args[++i];
                case "--raw-writes" -> rawWrites = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--work" -> work = Path.of(args[++i]);
                case "--quarkus-app" -> app = Path.of(args[++i]);
                case "--smoke" -> smoke = true;
                case "--append" -> append = true;
                case "--report-only" -> reportOnly = true;
                default -> throw new IllegalArgumentException("unknown option " + a
                        + "; usage: --sizes 1000,5000,10000 --gcs g1,zgc --idle-seconds 60 --heap 512m --raw-writes 2000 "
                        + "--out docs --work target/bench --append --report-only --smoke");
            }
        }
        if (smoke) {
            boolean sizesGiven = Arrays.asList(args).contains("--sizes");
            sizes = sizesGiven ? sizes : List.of(20);
            gcs = Arrays.asList(args).contains("--gcs") ? gcs : List.of("zgc");
            idle = Arrays.asList(args).contains("--idle-seconds") ? idle : 10;
            rawWrites = Arrays.asList(args).contains("--raw-writes") ? rawWrites : 300;
            settle = 1;
            out = Arrays.asList(args).contains("--out") ? out : Path.of("target/bench-smoke");
        }
        for (String gc : gcs) {
            BenchRun.gcFlags(gc); // fails early on an unknown name
        }
        return new Options(sizes, gcs, idle, settle, heap, 5, 50, rawWrites, 150, out, work, app, append, reportOnly);
    }

    /** Runs everything and writes {@code benchmarks.json}, {@code benchmarks.md} and {@code benchmarks.png} into out. */
    public static Path run(Options options) throws Exception {
        if (options.reportOnly()) {
            return rewrite(options);
        }
        if (!Files.isRegularFile(options.quarkusApp().resolve("quarkus-run.jar"))) {
            throw new IllegalStateException(options.quarkusApp() + "/quarkus-run.jar not found: package the operator first "
                    + "(./mvnw package -DskipTests, which ./sluice bench does)");
        }
        Files.createDirectories(options.out());
        long start = System.nanoTime();
        ObjectNode report = Kube.JSON.createObjectNode();
        report.put("generatedAt", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        report.set("machine", machine());
        ObjectNode settings = report.putObject("settings");
        settings.put("heap", options.heap()).put("idleSeconds", options.idleSeconds()).put("repositories", options.repos())
                .put("rawWrites", options.rawWrites()).put("gitInterval", "1m");
        ArrayNode runs = report.putArray("runs");
        Path previous = options.out().resolve("benchmarks.json");
        if (options.append() && Files.exists(previous)) {
            // keep the earlier runs of other sizes or collectors (a partial re-run)
            for (JsonNode old : Kube.JSON.readTree(previous.toFile()).path("runs")) {
                if (!(options.sizes().contains(old.path("n").asInt()) && options.gcs().contains(old.path("gc").asText()))) {
                    runs.add(old);
                }
            }
        }
        for (int n : options.sizes()) {
            for (String gc : options.gcs()) {
                Path dir = options.work().resolve(gc + "-" + n);
                deleteTree(dir);
                long runStart = System.nanoTime();
                ObjectNode result = new BenchRun(options, n, gc, dir.toAbsolutePath(), options.quarkusApp().toAbsolutePath()).run();
                result.put("runSeconds", BenchRun.seconds(System.nanoTime() - runStart));
                runs.add(result);
                writeAll(options, report);
            }
        }
        report.put("totalSeconds", BenchRun.seconds(System.nanoTime() - start));
        return writeAll(options, report);
    }

    /**
     * Re-reads the GC logs still in the work directory into the existing JSON and writes the table and
     * chart again (after a change to what is parsed or shown), without running anything.
     */
    private static Path rewrite(Options options) throws Exception {
        Path json = options.out().resolve("benchmarks.json");
        ObjectNode report = (ObjectNode) Kube.JSON.readTree(json.toFile());
        for (JsonNode run : report.path("runs")) {
            Path gcLog = options.work().resolve(run.path("gc").asText() + "-" + run.path("n").asInt()).resolve("gc.log");
            if (Files.exists(gcLog)) {
                BenchRun.gcFigures((ObjectNode) run, gcLog);
            }
        }
        return writeAll(options, report);
    }

    private static Path writeAll(Options options, ObjectNode report) throws IOException {
        Path json = options.out().resolve("benchmarks.json");
        Kube.JSON.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), report);
        Path md = options.out().resolve("benchmarks.md");
        String table = BenchReport.markdown(report);
        String existing = Files.exists(md) ? Files.readString(md) : "# Benchmarks\n\n" + BEGIN + "\n" + END + "\n";
        int b = existing.indexOf(BEGIN);
        int e = existing.indexOf(END);
        String updated = b >= 0 && e > b
                ? existing.substring(0, b + BEGIN.length()) + "\n" + table + existing.substring(e)
                : existing + "\n" + BEGIN + "\n" + table + END + "\n";
        Files.writeString(md, updated);
        BenchChart.draw(report, options.out().resolve("benchmarks.png"));
        return json;
    }

    private static JsonNode machine() throws IOException {
        ObjectNode m = Kube.JSON.createObjectNode();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        String cpu = "unknown";
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("model name")) {
                cpu = line.substring(line.indexOf(':') + 1).strip();
                break;
            }
        }
        m.put("cpu", cpu);
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                m.put("memoryGiB", BenchRun.round(Long.parseLong(line.replaceAll("[^0-9]", "")) / 1048576.0, 1));
            }
        }
        m.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        String os = System.getProperty("os.name") + " " + System.getProperty("os.version");
        Path release = Path.of("/etc/os-release");
        if (Files.exists(release)) {
            for (String line : Files.readAllLines(release)) {
                if (line.startsWith("PRETTY_NAME=")) {
                    os = line.substring(12).replace("\"", "") + " (kernel " + System.getProperty("os.version") + ")";
                }
            }
        }
        m.put("os", os);
        return m;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(files.toList());
            all.sort((a, b) -> b.getNameCount() - a.getNameCount());
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        }
    }
}
