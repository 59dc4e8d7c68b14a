package io.sluice.demo.dataplane;

import io.sluice.demo.process.Poll;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Sends GET requests to one URL at a fixed rate, like steady user traffic, and counts the answers
 * by status code. It stops by itself after {@code maxDuration} or {@code maxRequests}, whichever
 * comes first, so a failing test cannot leave it running.
 *
 * <p>Requests are sent on schedule whether or not earlier ones have been answered (an open
 * workload), so a slow server does not lower the offered rate.
 */
public final class LoadGenerator implements AutoCloseable {

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private final URI target;
    private final int requestsPerSecond;
    private final Duration maxDuration;
    private final long maxRequests;
    private final HttpClient http;
    private final ScheduledExecutorService ticker;
    private final AtomicLong sent = new AtomicLong();
    private final Map<Integer, LongAdder> responsesByStatus = new ConcurrentHashMap<>();
    private final LongAdder transportErrors = new LongAdder();
    private final AtomicReference<String> lastTransportError = new AtomicReference<>("");
    private final Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> sendingDone = new CompletableFuture<>();
    private boolean started;
    private long startNanos;

    public LoadGenerator(URI target, int requestsPerSecond, Duration maxDuration, long maxRequests) {
        if (requestsPerSecond <= 0 || requestsPerSecond > 10_000) {
            throw new IllegalArgumentException("rate must be within 1..10000 requests/s: " + requestsPerSecond);
        }
        if (maxDuration.isNegative() || maxDuration.isZero() || maxRequests <= 0) {
            throw new IllegalArgumentException("a load run needs a positive maximum duration and request count");
        }
        this.target = target;
        this.requestsPerSecond = requestsPerSecond;
        this.maxDuration = maxDuration;
        this.maxRequests = maxRequests;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2))
                .build();
        this.ticker = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("load-" + target.getPort()).daemon().factory());
    }

    /** Starts sending; returns at once. */
    public LoadGenerator start() {
        if (started) {
            throw new IllegalStateException("load run already started");
        }
        started = true;
        startNanos = System.nanoTime();
        ticker.scheduleAtFixedRate(this::tick, 0, 1_000_000_000L / requestsPerSecond, TimeUnit.NANOSECONDS);
        return this;
    }

    /** Whether sending has stopped (by a bound or {@link #stop()}) and every request is answered or failed. */
    public boolean isFinished() {
        return sendingDone.isDone() && inFlight.isEmpty();
    }

    /** Waits until the run has ended by one of its bounds, and returns its final counts. */
    public LoadStats awaitFinished() {
        Poll.until("load run on " + target + " finished", maxDuration.plus(REQUEST_TIMEOUT).plusSeconds(5),
                Duration.ofMillis(50), this::isFinished);
        return stats();
    }

    /** Counts so far; final once {@link #isFinished()}. */
    public LoadStats stats() {
        Map<Integer, Long> byStatus = new HashMap<>();
        responsesByStatus.forEach((status, count) -> byStatus.put(status, count.sum()));
        return new LoadStats(sent.get(), byStatus, transportErrors.sum(), lastTransportError.get());
    }

    /** Stops sending and waits (at most the request timeout) for the requests still in flight. */
    public void stop() {
        sendingDone.complete(null);
        ticker.shutdownNow();
        try {
            ticker.awaitTermination(1, TimeUnit.SECONDS); // a tick under way may still send one request
            CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new))
                    .get(REQUEST_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // failures are already counted; a request outliving its own timeout is abandoned
        }
    }

    @Override
    public void close() {
        stop();
        http.close();
    }

    private void tick() {
        if (sendingDone.isDone()) {
            return;
        }
        if (sent.get() >= maxRequests || System.nanoTime() - startNanos >= maxDuration.toNanos()) {
            sendingDone.complete(null);
            ticker.shutdown();
            return;
        }
        sent.incrementAndGet();
        HttpRequest request = HttpRequest.newBuilder(target).timeout(REQUEST_TIMEOUT).GET().build();
        CompletableFuture<?> response = http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                .whenComplete((answer, error) -> {
                    if (error == null) {
                        responsesByStatus.computeIfAbsent(answer.statusCode(), s -> new LongAdder()).increment();
                    } else {
                        transportErrors.increment();
                        lastTransportError.set(String.valueOf(error));
                    }
                });
        inFlight.add(response);
        response.whenComplete((answer, error) -> inFlight.remove(response));
    }

    /**
     * What a load run observed.
     *
     * @param sent requests sent so far
     * @param responsesByStatus answers received, by HTTP status
     * @param transportErrors requests that got no HTTP answer (refused, reset, timed out)
     * @param lastTransportError the last such failure, empty if none
     */
    public record LoadStats(long sent, Map<Integer, Long> responsesByStatus, long transportErrors,
            String lastTransportError) {

        public LoadStats {
            responsesByStatus = Collections.unmodifiableMap(new TreeMap<>(responsesByStatus));
        }

        public long responses() {
            return responsesByStatus.values().stream().mapToLong(Long::longValue).sum();
        }

        public long responses(int status) {
            return responsesByStatus.getOrDefault(status, 0L);
        }
    }
}
