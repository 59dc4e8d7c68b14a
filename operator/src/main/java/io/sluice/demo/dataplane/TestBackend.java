package io.sluice.demo.dataplane;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sluice.demo.process.LocalService;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * A stand-in for one version of the application under rollout ("stable", "canary"): an HTTP server
 * on a loopback port that answers any path with 200, or with 500 for a settable fraction of
 * requests, after a settable added latency.
 *
 * <p>{@code GET /metrics} exposes what a service mesh would record for it, in the Prometheus text
 * format and shaped like Istio's request metrics (here in seconds):
 * {@code sluice_test_requests_total{backend,code}} and the histogram
 * {@code sluice_test_request_duration_seconds{backend,code,le}}.
 *
 * <p>The port is bound on construction, so it can be handed to other fixtures before
 * {@link #start()}.
 */
public final class TestBackend implements LocalService {

    static {
        // TCP_NODELAY on accepted connections: with Nagle's algorithm a small write can wait ~40 ms
        // for the peer's delayed ACK (seen with Python test backends), which would show up as
        // latency. The JDK reads this once, when its server implementation is first used.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");
    // Istio's buckets (0.5 ms .. 10 s), in seconds.
    private static final double[] BUCKET_BOUNDS_SECONDS =
            {0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private final String name;
    private final HttpServer server;
    private final ExecutorService handlers;
    private final Map<Integer, ResponseStats> statsByCode = new ConcurrentSkipListMap<>();
    private final AtomicLong requestsSinceErrorRateSet = new AtomicLong();
    private volatile double errorRate;
    private volatile Duration latency = Duration.ZERO;

    /** Binds a free loopback port; requests are answered after {@link #start()}. */
    public TestBackend(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("backend name must match " + NAME + " (it is a label value): " + name);
        }
        this.name = name;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // A growing pool: requests held back by the added latency must not queue behind each other.
        handlers = Executors.newCachedThreadPool(Thread.ofPlatform().name("backend-" + name + "-", 1).daemon().factory());
        server.setExecutor(handlers);
        // Both codes are exposed from the start, at 0, as well-instrumented services do: a series
        // that first appears with the first error has no earlier sample, so rate() and irate() over
        // it stay empty for one more scrape and a fault is seen a scrape interval late.
        statsByCode.put(200, new ResponseStats());
        statsByCode.put(500, new ResponseStats());
        server.createContext("/metrics", this::exposeMetrics);
        server.createContext("/", this::answer);
    }

    @Override
    public TestBackend start() {
        server.start();
        return this;
    }

    public String name() {
        return name;
    }

    /** {@code 127.0.0.1:<port>}, for a proxy's server line or a scrape target. */
    public String hostPort() {
        return server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort();
    }

    public URI url() {
        return URI.create("http://" + hostPort() + "/");
    }

    /**
     * Answers exactly this fraction of the following requests with 500, spread evenly: at 0.2 every
     * fifth request fails, so any window of requests measures close to the rate.
     */
    public void setErrorRate(double fraction) {
        if (fraction < 0 || fraction > 1) {
            throw new IllegalArgumentException("error rate must be within [0, 1]: " + fraction);
        }
        errorRate = fraction;
        requestsSinceErrorRateSet.set(0);
    }

    /** Delays every following answer by this much. */
    public void setLatency(Duration added) {
        if (added.isNegative()) {
            throw new IllegalArgumentException("latency must not be negative: " + added);
        }
        latency = added;
    }

    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
    }

    private void answer(HttpExchange exchange) throws IOException {
        long startNanos = System.nanoTime();
        try (exchange) {
            exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
            Thread.sleep(latency);
            int code = nextRequestFails() ? 500 : 200;
            byte[] body = (code == 500 ? name + ": injected error\n" : name + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(code, body.length);
            exchange.getResponseBody().write(body);
            // Counted before the exchange is closed and flushed: a client that has its answer sees it in /metrics.
            statsByCode.computeIfAbsent(code, c -> new ResponseStats())
                    .observe((System.nanoTime() - startNanos) / 1e9);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing: the exchange is dropped
        }
    }

    /** Spreads failures evenly: request n fails when floor((n+1)·rate) steps past floor(n·rate). */
    private boolean nextRequestFails() {
        long n = requestsSinceErrorRateSet.getAndIncrement();
        double rate = errorRate;
        return Math.floor((n + 1) * rate) > Math.floor(n * rate);
    }

    private void exposeMetrics(HttpExchange exchange) throws IOException {
        StringBuilder text = new StringBuilder();
        text.append("# HELP sluice_test_requests_total Requests answered by the test backend.\n")
                .append("# TYPE sluice_test_requests_total counter\n");
        statsByCode.forEach((code, stats) -> text.append("sluice_test_requests_total{")
                .append(labels(code)).append("} ").append(stats.count()).append('\n'));
        text.append("# HELP sluice_test_request_duration_seconds Time taken to answer a request, added latency included.\n")
                .append("# TYPE sluice_test_request_duration_seconds histogram\n");
        statsByCode.forEach((code, stats) -> stats.appendHistogram(text, labels(code)));

        byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
        try (exchange) {
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        }
    }

    /** The labels shared by all series of one response code. */
    private String labels(int code) {
        return "backend=\"" + name + "\",code=\"" + code + "\"";
    }

    /** Counts and durations of the responses with one status code. */
    private static final class ResponseStats {
        private final long[] bucketCounts = new long[BUCKET_BOUNDS_SECONDS.length]; // not cumulative
        private long count;
        private double sumSeconds;

        // One lock per code keeps each exposition consistent (the +Inf bucket equals the count).
        synchronized void observe(double seconds) {
            for (int i = 0; i < BUCKET_BOUNDS_SECONDS.length; i++) {
                if (seconds <= BUCKET_BOUNDS_SECONDS[i]) {
                    bucketCounts[i]++;
                    break;
                }
            }
            count++;
            sumSeconds += seconds;
        }

        synchronized long count() {
            return count;
        }

        synchronized void appendHistogram(StringBuilder text, String labels) {
            String series = "sluice_test_request_duration_seconds";
            long cumulative = 0;
            for (int i = 0; i < BUCKET_BOUNDS_SECONDS.length; i++) {
                cumulative += bucketCounts[i];
                String le = BigDecimal.valueOf(BUCKET_BOUNDS_SECONDS[i]).stripTrailingZeros().toPlainString();
                text.append(series).append("_bucket{").append(labels).append(",le=\"").append(le).append("\"} ")
                        .append(cumulative).append('\n');
            }
            text.append(series).append("_bucket{").append(labels).append(",le=\"+Inf\"} ").append(count).append('\n');
            text.append(series).append("_sum{").append(labels).append("} ").append(sumSeconds).append('\n');
            text.append(series).append("_count{").append(labels).append("} ").append(count).append('\n');
        }
    }
}
