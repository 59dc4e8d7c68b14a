package io.sluice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/** The harness's own minimal client of the bench API (plain HTTP/1.1, JSON in and out). */
final class Kube implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    private final String base;
    private final List<Thread> watches = new CopyOnWriteArrayList<>();
    private volatile boolean closed;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    Kube(String base) {
        this.base = base;
    }

    record Answer(int code, JsonNode body) {
    }

    Answer send(String method, String path, Object body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "PATCH".equals(method) ? "application/merge-patch+json" : "application/json");
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Answer(r.statusCode(), r.body().length == 0 ? JSON.nullNode() : JSON.readTree(r.body()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    JsonNode create(String collection, JsonNode object) {
        Answer a = send("POST", collection, object);
        if (a.code() != 201) {
            throw new IllegalStateException("creating in " + collection + ": " + a.code() + " " + a.body());
        }
        return a.body();
    }

    JsonNode get(String path) {
        Answer a = send("GET", path, null);
        return a.code() == 200 ? a.body() : null;
    }

    /**
     * Lists {@code collection} and then watches it from the list's resourceVersion on a daemon thread,
     * handing every object (listed: type ADDED) with the time it arrived to {@code handler}.
     */
    Thread listAndWatch(String collection, BiConsumer<String, JsonNode> handler) {
        JsonNode list = get(collection);
        if (list == null) {
            throw new IllegalStateException("cannot list " + collection);
        }
        list.path("items").forEach(item -> handler.accept("ADDED", item));
        String rv = list.path("metadata").path("resourceVersion").asText();
        Thread t = Thread.ofPlatform().daemon().name("watch " + collection).start(() -> {
            String from = rv;
            while (!closed && !Thread.currentThread().isInterrupted()) {
                try {
                    HttpRequest req = HttpRequest.newBuilder(URI.create(base + collection + "?watch=true&resourceVersion=" + from)).build();
                    HttpResponse<java.io.InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
                    try (BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                        for (String line; (line = lines.readLine()) != null; ) {
                            JsonNode event = JSON.readTree(line);
                            if ("ERROR".equals(event.path("type").asText())) {
                                throw new IllegalStateException("watch of " + collection + " failed: " + line);
                            }
                            JsonNode object = event.path("object");
                            from = object.path("metadata").path("resourceVersion").asText(from);
                            handler.accept(event.path("type").asText(), object);
                        }
                    }
                } catch (IOException e) {
                    if (closed || Thread.currentThread().isInterrupted()) {
                        return;
                    }
                    // A watch the server ended is started again, but not in a tight loop: a client that
                    // fails at once (shut down, server gone) would otherwise spin on a core and slow
                    // down every later measurement of the run.
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException stop) {
                        return;
                    }
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        watches.add(t);
        return t;
    }

    /** Ends the watches (waiting for their threads) and the client. */
    @Override
    public void close() {
        closed = true;
        watches.forEach(Thread::interrupt);
        http.shutdownNow();
        for (Thread t : watches) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
