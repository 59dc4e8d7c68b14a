package io.sluice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The benchmark harness at a tiny size (20 Rollouts, generational ZGC, a 10 s idle window) against the
 * packaged operator: every figure is measured and sane. The targets are not asserted here; that is what
 * {@code ./sluice bench} and docs/benchmarks.md are for. Writes nothing into docs/.
 */
class BenchmarkSmokePackagedIT {

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void smokeRunMeasuresEveryFigure(@TempDir Path out) throws Exception {
        Path project = Path.of(System.getProperty("sluice.project.dir", ".")).toAbsolutePath();
        Path docsJson = project.resolve("docs/benchmarks.json");
        String docsBefore = Files.exists(docsJson) ? Files.readString(docsJson) : "";
        Benchmark.Options options = Benchmark.parse("--smoke", "--out", out.toString(), "--work", out.resolve("work").toString(),
                "--quarkus-app", project.resolve("target/quarkus-app").toString());

        Path json = Benchmark.run(options);

        JsonNode report = new ObjectMapper().readTree(json.toFile());
        assertThat(report.path("machine").path("cores").asInt()).isPositive();
        assertThat(report.path("machine").path("jdk").asText()).isNotBlank();
        assertThat(report.path("runs")).hasSize(1);
        JsonNode run = report.path("runs").get(0);
        assertThat(run.path("n").asInt()).isEqualTo(20);
        assertThat(run.path("gc").asText()).isEqualTo("zgc");
        assertThat(run.path("syncSeconds").asDouble()).isPositive();
        assertThat(run.path("liveHeapMiB").asDouble()).isBetween(1.0, 512.0);
        assertThat(run.path("rssMiB").asDouble()).isGreaterThan(run.path("liveHeapMiB").asDouble());
        assertThat(run.path("gcPauseCount").asInt()).isPositive();
        assertThat(run.path("gcPauseP50Ms").asDouble()).isPositive();
        assertThat(run.path("gcPauseMaxMs").asDouble()).isGreaterThanOrEqualTo(run.path("gcPauseP99Ms").asDouble())
                .isGreaterThanOrEqualTo(run.path("gcPauseP50Ms").asDouble());
        assertThat(run.path("idleCpuSeconds").asDouble()).isGreaterThanOrEqualTo(0.0);
        assertThat(run.path("idleWindowSeconds").asDouble()).isGreaterThanOrEqualTo(10.0);
        assertThat(run.path("gitFetchesPerInterval").isNumber()).isTrue();
        assertThat(run.path("waveRollouts").asInt()).isEqualTo(20 - run.path("analysisSample").asInt());
        assertThat(run.path("waveSeconds").asDouble()).isPositive();
        assertThat(run.path("rawWritesPerSecond").asDouble()).isPositive();
        assertThat(run.path("rawWriteP50Ms").asDouble()).isPositive();
        assertThat(run.path("waveRatioToRawWrites").asDouble()).isPositive();
        assertThat(run.path("rollbackSamples").asInt()).isEqualTo(run.path("analysisSample").asInt());
        assertThat(run.path("rollbackP50Ms").asDouble()).isPositive();
        assertThat(run.path("rollbackP99Ms").asDouble()).isGreaterThanOrEqualTo(run.path("rollbackP50Ms").asDouble());
        assertThat(run.path("rollbackRatioP50").asDouble()).isPositive();
        assertThat(run.path("rollbackRatioP99").asDouble()).isPositive();
        assertThat(run.path("loadedWrites").asInt()).isPositive();
        assertThat(run.path("loadedWriteP99Ms").asDouble()).isGreaterThanOrEqualTo(run.path("loadedWriteP50Ms").asDouble())
                .isPositive();
        assertThat(run.path("rollbackRatioLoadedP50").asDouble()).isPositive();

        String md = Files.readString(out.resolve("benchmarks.md"));
        assertThat(md).contains(Benchmark.BEGIN, Benchmark.END, "| 20 | zgc |");
        BufferedImage chart = ImageIO.read(out.resolve("benchmarks.png").toFile());
        assertThat(chart.getWidth()).isGreaterThan(600);
        assertThat(Files.exists(docsJson) ? Files.readString(docsJson) : "").isEqualTo(docsBefore);
    }
}
