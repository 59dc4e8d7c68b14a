package io.sluice.demo.prometheus;

import io.sluice.demo.process.ExternalProcess;
import io.sluice.demo.process.ExternalService;
import io.sluice.demo.process.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real Prometheus server on a loopback port, scraping the given jobs every second into a fresh
 * TSDB. {@link #start()} returns once every target has been scraped at least once, so queries see
 * data right away.
 *
 * <p>Use it with try-with-resources:
 * <pre>{@code
 * try (PrometheusFixture prometheus = new PrometheusFixture(List.of(ScrapeJob.of("app", "/metrics", "127.0.0.1:8080"))).start()) {
 *     ...
 * }
 * }</pre>
 */
public final class PrometheusFixture extends ExternalService {

    // The scrape manager applies new targets on a 5 s tick: the first sample lands ~6 s after start.
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration SCRAPE_WAIT_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(5);

    private final List<ScrapeJob> jobs;
    private final int port;
    private final HttpClient http;

    /** Reserves a port; nothing runs until {@link #start()}. */
    public PrometheusFixture(List<ScrapeJob> jobs) {
        super("Prometheus", "prometheus");
        if (jobs.isEmpty()) {
            throw new IllegalArgumentException("Prometheus needs at least one scrape job");
        }
        this.jobs = List.copyOf(jobs);
        this.port = ExternalProcess.freeLoopbackPort();
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(HTTP_TIMEOUT)
                .build();
    }

    /**
     * Starts {@code prometheus} and waits until every scrape target has a sample.
     *
     * @throws IllegalStateException when prometheus is not installed, exits, or has no data in time
     *     (with the tail of its log)
     */
    @Override
    public PrometheusFixture start() {
        startProcess(process -> {
            Path config = process.workDir().resolve("prometheus.yml");
            Files.writeString(config, configYaml());
            process.start(List.of(
                    "--config.file=" + config,
                    // a reused TSDB would serve the previous run's samples
                    "--storage.tsdb.path=" + process.workDir().resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port));
            awaitReady();
            awaitFirstSampleOfEveryTarget();
        });
        return this;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** Runs an instant query at the current time. */
    public QueryResult query(String promql) {
        URI uri = URI.create(baseUrl() + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        try {
            return QueryResult.parse(get(uri).body());
        } catch (IOException e) {
            throw new UncheckedIOException("query " + promql + " failed", e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (query: " + promql + ")", e);
        }
    }

    /**
     * Waits until every target has been scraped after {@code instant}, so that queries see
     * everything the targets counted up to then (e.g. a finished load run).
     */
    public void awaitScrapedAfter(Instant instant) {
        double epochSeconds = instant.toEpochMilli() / 1000.0;
        AtomicReference<QueryResult> last = new AtomicReference<>();
        awaitOrFail("every target scraped after " + instant, SCRAPE_WAIT_TIMEOUT, last, () -> {
            last.set(query("min(timestamp(up))"));
            return last.get().singleValue().orElse(0) > epochSeconds;
        });
    }

    /** Stops Prometheus by PID and deletes its configuration and TSDB. */
    @Override
    public void close() {
        super.close();
        http.close();
    }

    private String configYaml() {
        StringBuilder yaml = new StringBuilder("""
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                  evaluation_interval: 1s
                scrape_configs:
                """);
        for (ScrapeJob job : jobs) {
            yaml.append("  - job_name: ").append(quoted(job.name())).append('\n')
                    .append("    metrics_path: ").append(quoted(job.metricsPath())).append('\n')
                    .append("    static_configs:\n")
                    .append("      - targets: [")
                    .append(String.join(", ", job.targets().stream().map(PrometheusFixture::quoted).toList()))
                    .append("]\n");
        }
        return yaml.toString();
    }

    /** A YAML double-quoted scalar (same escapes as JSON). */
    private static String quoted(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    private void awaitReady() {
        awaitOrFail("/-/ready", STARTUP_TIMEOUT, new AtomicReference<>(),
                () -> get(URI.create(baseUrl() + "/-/ready")).statusCode() == 200);
    }

    private void awaitFirstSampleOfEveryTarget() {
        AtomicReference<QueryResult> last = new AtomicReference<>();
        awaitOrFail("a first sample from every scrape target", STARTUP_TIMEOUT, last, () -> {
            for (ScrapeJob job : jobs) {
                last.set(query("up{job=" + quoted(job.name()) + "}"));
                if (last.get().samples().size() < job.targets().size()) {
                    return false;
                }
            }
            return true;
        });
    }

    /**
     * Polls {@code condition}; fails at once if Prometheus has exited, and on timeout with the last
     * query result and the tail of Prometheus' log.
     */
    private void awaitOrFail(String what, Duration timeout, AtomicReference<QueryResult> lastResult,
            Callable<Boolean> condition) {
        try {
            // connection refused while starting up, a timeout on a busy machine: try again
            Poll.until(what, timeout, Duration.ofMillis(200),
                    e -> e instanceof IOException || e instanceof UncheckedIOException,
                    () -> {
                        if (!process().isAlive()) {
                            throw new IllegalStateException("Prometheus exited while waiting for " + what
                                    + "\n" + logTail());
                        }
                        return condition.call();
                    });
        } catch (Poll.TimedOut e) {
            throw new IllegalStateException("Prometheus at " + baseUrl() + " did not report " + what
                    + " within " + timeout + "; last query result: " + lastResult.get()
                    + "\n" + logTail(), e);
        }
    }

    private HttpResponse<String> get(URI uri) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(HTTP_TIMEOUT).GET().build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while calling " + uri, e);
        }
    }
}
