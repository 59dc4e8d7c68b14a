package io.sluice.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Locale;

/** The generated part of docs/benchmarks.md: the machine, then one table row per run. */
final class BenchReport {
    private BenchReport() {
    }

    private record Column(String header, String field, String unit) {
    }

    private static final List<Column> COLUMNS = List.of(
            new Column("N", "n", ""),
            new Column("GC", "gc", ""),
            new Column("sync + reconcile all (s)", "syncSeconds", ""),
            new Column("live heap (MiB)", "liveHeapMiB", ""),
            new Column("RSS (MiB)", "rssMiB", ""),
            new Column("GC pauses", "gcPauseCount", ""),
            new Column("pause p50 (ms)", "gcPauseP50Ms", ""),
            new Column("pause p99 (ms)", "gcPauseP99Ms", ""),
            new Column("pause max (ms)", "gcPauseMaxMs", ""),
            new Column("ZGC allocation stalls (count / max ms)", "allocationStalls/allocationStallMaxMs", ""),
            new Column("idle CPU (s/min)", "idleCpuSecondsPerMinute", ""),
            new Column("first canary step, all (s)", "waveSeconds", ""),
            new Column("raw writes/s", "rawWritesPerSecond", ""),
            new Column("wave ratio", "waveRatioToRawWrites", ""),
            new Column("raw write p50/p99 (ms)", "rawWriteP50Ms/rawWriteP99Ms", ""),
            new Column("rollback p50/p99 (ms)", "rollbackP50Ms/rollbackP99Ms", ""),
            new Column("rollback ratio p50/p99", "rollbackRatioP50/rollbackRatioP99", ""),
            new Column("write during the wave p50/p99 (ms)", "loadedWriteP50Ms/loadedWriteP99Ms", ""),
            new Column("rollback ratio to it p50/p99", "rollbackRatioLoadedP50/rollbackRatioLoadedP99", ""),
            new Column("Git fetches per 1m interval (per repo)", "gitFetchesPerInterval", ""));

    static String markdown(JsonNode report) {
        StringBuilder s = new StringBuilder();
        JsonNode m = report.path("machine");
        s.append(String.format(Locale.ROOT, "Generated %s on %d cores (%s), %.1f GiB RAM, %s, %s. Operator heap -Xmx%s; "
                        + "%d Git repositories shared by the paused Rollouts plus one for the analysis sample; idle window %ds.%n%n",
                report.path("generatedAt").asText(), m.path("cores").asInt(), m.path("cpu").asText(), m.path("memoryGiB").asDouble(),
                m.path("jdk").asText(), m.path("os").asText(), report.path("settings").path("heap").asText(),
                report.path("settings").path("repositories").asInt(), report.path("settings").path("idleSeconds").asInt()));
        List<JsonNode> rows = new java.util.ArrayList<>();
        report.path("runs").forEach(rows::add);
        rows.sort(java.util.Comparator.comparingInt((JsonNode r) -> r.path("n").asInt()).thenComparing(r -> r.path("gc").asText()));
        s.append("| ");
        COLUMNS.forEach(c -> s.append(c.header()).append(" | "));
        s.append("\n|");
        COLUMNS.forEach(c -> s.append(c.field().equals("gc") ? "---|" : "---:|"));
        s.append('\n');
        for (JsonNode run : rows) {
            s.append("| ");
            for (Column c : COLUMNS) {
                s.append(cell(run, c.field()));
                if (c.field().equals("gitFetchesPerInterval")) {
                    s.append(" (").append(cell(run, "gitFetchesPerRepositoryPerInterval")).append(')');
                }
                s.append(" | ");
            }
            s.append('\n');
        }
        s.append('\n');
        for (JsonNode run : rows) {
            if (run.has("error")) {
                s.append(String.format(Locale.ROOT, "N=%d %s did not finish: %s%n%n", run.path("n").asInt(), run.path("gc").asText(),
                        run.path("error").asText()));
            }
        }
        double runs = 0;
        for (JsonNode run : rows) {
            runs += run.path("runSeconds").asDouble();
        }
        s.append(String.format(Locale.ROOT, "The %d runs took %.1f minutes together%s.%n", rows.size(), runs / 60,
                report.has("totalSeconds") ? "" : " (the benchmark was still running, or these rows come from several invocations)"));
        s.append("\n![Live heap and GC pauses against N](benchmarks.png)\n");
        return s.toString();
    }

    private static String cell(JsonNode run, String fields) {
        StringBuilder out = new StringBuilder();
        for (String f : fields.split("/")) {
            if (!out.isEmpty()) {
                out.append(" / ");
            }
            JsonNode v = run.path(f);
            if (v.isMissingNode() || v.isNull()) {
                out.append("–");
            } else if (v.isNumber() && !v.isIntegralNumber()) {
                double d = v.asDouble();
                out.append(d >= 100 ? String.format(Locale.ROOT, "%.0f", d)
                        : d >= 10 ? String.format(Locale.ROOT, "%.1f", d) : String.format(Locale.ROOT, "%.3g", d));
            } else {
                out.append(v.asText());
            }
        }
        return out.toString();
    }
}
