package io.sluice.sandbox;

import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.HttpUrl;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import io.fabric8.mockwebserver.vertx.HttpServerRequestHandler;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * Fabric8's {@link MockWebServer} (plain HTTP/1.1 and h2c on loopback) that also serves watches the way
 * kubectl asks for them: a long-running chunked HTTP response of newline-delimited JSON watch events,
 * instead of a WebSocket. The stock server answers a watch only over WebSocket (and a plain {@code GET
 * ...?watch=true} with a 400), because it writes every response in one piece with a Content-Length.
 * <p>
 * It builds its own Vert.x HTTP server (on the Vert.x instance the superclass created) with a handler that
 * streams such watches itself and hands every other request to Fabric8's standard handler, unchanged. The
 * watch events come from the dispatcher's WebSocket watch: its listener is given a {@link WebSocket} whose
 * messages are written to the HTTP response, one event a line.
 */
final class SandboxWebServer extends MockWebServer {

    private static final Pattern WATCH_QUERY = Pattern.compile("[?&]watch=(true|1)(&|$)");

    private final Dispatcher dispatcher;
    private final Vertx vertx;
    private final BlockingQueue<RecordedRequest> requests = new LinkedBlockingQueue<>();
    private final AtomicInteger requestCount = new AtomicInteger();
    private HttpServer httpServer;
    private InetAddress address;
    private int port;

    SandboxWebServer(Dispatcher dispatcher) {
        this.dispatcher = dispatcher;
        this.vertx = superVertx();
        super.setDispatcher(dispatcher);
    }

    /** The Vert.x instance MockWebServer's constructor made (and would otherwise leak, as its start() is not called). */
    private Vertx superVertx() {
        try {
            Field field = MockWebServer.class.getDeclaredField("vertx");
            field.setAccessible(true);
            return (Vertx) field.get(this);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Fabric8's MockWebServer changed: no field vertx", e);
        }
    }

    @Override
    public void setDispatcher(Dispatcher ignored) {
        // the dispatcher is fixed at construction (DefaultMockServer sets it again to the same one)
    }

    @Override
    public synchronized void start(InetAddress inetAddress, int requestedPort) {
        if (httpServer != null) {
            throw new IllegalStateException("start() already called");
        }
        this.address = inetAddress;
        HttpServerOptions options = new HttpServerOptions().setHost(inetAddress.getHostAddress()).setPort(requestedPort)
                .setWebSocketSubProtocols(List.of("v1.channel.k8s.io", "v2.channel.k8s.io", "v3.channel.k8s.io",
                        "v4.channel.k8s.io"))
                .setHandle100ContinueAutomatically(true);
        httpServer = vertx.createHttpServer(options);
        HttpServerRequestHandler standard = new HttpServerRequestHandler(vertx) {
            @Override
            protected MockResponse onHttpRequest(RecordedRequest request) {
                return dispatch(request);
            }
        };
        httpServer.requestHandler(request -> {
            if (isStreamingWatch(request)) {
                streamWatch(request);
            } else {
                standard.handle(request);
            }
        });
        port = await(httpServer.listen()).actualPort();
    }

    private MockResponse dispatch(RecordedRequest request) {
        requestCount.incrementAndGet();
        requests.add(request);
        return dispatcher.dispatch(request);
    }

    /** A GET with {@code watch=true} (or 1) that does not ask for a WebSocket upgrade. */
    private static boolean isStreamingWatch(HttpServerRequest request) {
        return request.method() == io.vertx.core.http.HttpMethod.GET
                && WATCH_QUERY.matcher(request.uri()).find()
                && !"websocket".equalsIgnoreCase(request.getHeader("Upgrade"));
    }

    private void streamWatch(HttpServerRequest event) {
        RecordedRequest request = new RecordedRequest(event.version().alpnName().toUpperCase(Locale.ROOT), HttpMethod.GET,
                event.uri(), Headers.builder().addAll(event.headers()).build(), new io.fabric8.mockwebserver.http.Buffer());
        MockResponse answer = dispatch(request);
        HttpServerResponse response = event.response();
        WebSocketListener listener = answer.getWebSocketListener();
        if (listener == null) { // an error, or not a watch after all: answer it as it is
            response.setStatusCode(answer.code());
            answer.getHeaders().toMultimap().forEach((key, values) -> response.headers().add(key, values));
            Buffer body = answer.getBody() == null ? Buffer.buffer() : Buffer.buffer(answer.getBody().getBytes());
            response.end(body);
            return;
        }
        response.setStatusCode(200).setChunked(true)
                .putHeader("Content-Type", contentType(event.getHeader("Accept")))
                .putHeader("Cache-Control", "no-cache, private")
                .putHeader("Transfer-Encoding", "chunked");
        AtomicBoolean closed = new AtomicBoolean();
        WebSocket stream = new WebSocket() {
            @Override
            public RecordedRequest request() {
                return request;
            }

            @Override
            public boolean send(String text) {
                if (closed.get()) {
                    return false;
                }
                response.write(text.endsWith("\n") ? text : text + "\n");
                return true;
            }

            @Override
            public boolean send(byte[] bytes) {
                return send(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
            }

            @Override
            public boolean close(int code, String reason) {
                if (closed.compareAndSet(false, true)) {
                    vertx.runOnContext(v -> {
                        if (!response.ended() && !response.closed()) {
                            response.end();
                        }
                    });
                }
                return true;
            }
        };
        event.connection().closeHandler(v -> {
            closed.set(true);
            listener.onClosed(stream, 1000, "the client went away");
        });
        response.writeHead();
        listener.onOpen(stream, answer);
    }

    /** JSON watch events; the media type parameters the client asked for (as=Table) are echoed. */
    private static String contentType(String accept) {
        if (accept != null && accept.contains("as=Table")) {
            return "application/json;as=Table;v=v1;g=meta.k8s.io";
        }
        return "application/json";
    }

    @Override
    public synchronized void shutdown() {
        if (httpServer != null) {
            dispatcher.shutdown();
            await(httpServer.close());
            httpServer = null;
        }
        await(vertx.close());
    }

    @Override
    public int getPort() {
        return port;
    }

    @Override
    public String getHostName() {
        return address == null ? "localhost" : address.getHostAddress();
    }

    @Override
    public Proxy toProxyAddress() {
        return new Proxy(Proxy.Type.HTTP, new InetSocketAddress(getHostName(), getPort()));
    }

    @Override
    public HttpUrl url(String path) {
        return HttpUrl.parse("http://" + getHostName() + ":" + getPort() + "/" + (path.startsWith("/") ? path.substring(1) : path));
    }

    @Override
    public RecordedRequest takeRequest() throws InterruptedException {
        return requests.take();
    }

    @Override
    public RecordedRequest takeRequest(long timeout, TimeUnit unit) throws InterruptedException {
        return requests.poll(timeout, unit);
    }

    @Override
    public int getRequestCount() {
        return requestCount.get();
    }

    @Override
    public void useHttps() {
        throw new UnsupportedOperationException("the sandbox serves plain HTTP on loopback only");
    }

    private static <T> T await(Future<T> future) {
        CompletableFuture<T> done = new CompletableFuture<>();
        future.onComplete(r -> {
            if (r.succeeded()) {
                done.complete(r.result());
            } else {
                done.completeExceptionally(r.cause());
            }
        });
        try {
            return done.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the sandbox's HTTP server did not start or stop", e);
        }
    }
}
