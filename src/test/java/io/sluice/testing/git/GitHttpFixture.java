package io.sluice.testing.git;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sluice.testing.ScopedFixture;
import org.eclipse.jgit.util.FileUtils;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Git's smart HTTP protocol on loopback, served the way Git hosts serve it: the real
 * {@code git http-backend} run as a CGI program for every request, behind HTTP basic authentication with
 * one username and password (a token). Every repository under one base directory is served at
 * {@code http://127.0.0.1:<port>/<name>.git}; put them there with
 * {@link GitRepoFixture#createIn(Path, String, String)} into {@link #baseDir()}.
 * <p>
 * Closing it stops the server and any backend still running, and deletes the base directory.
 */
public final class GitHttpFixture extends ScopedFixture {
    private static final String LOOPBACK = "127.0.0.1";
    private static final String REALM = "Basic realm=\"sluice-test\"";

    private final Path baseDir;
    private final String expectedAuthorization;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Set<Process> running = ConcurrentHashMap.newKeySet();
    private final AtomicInteger refusedRequests = new AtomicInteger();
    private boolean closed;

    private GitHttpFixture(Path baseDir, String username, String password) throws IOException {
        this.baseDir = baseDir.toRealPath();
        this.expectedAuthorization = "Basic " + Base64.getEncoder()
                .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(LOOPBACK), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** Serves a new, empty temporary directory to whoever presents this username and password. */
    public static GitHttpFixture start(String username, String password) {
        try {
            return new GitHttpFixture(Files.createTempDirectory("sluice-git-http-"), username, password);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path baseDir() {
        return baseDir;
    }

    /** {@code http://127.0.0.1:<port>/<name>.git}, without credentials. */
    public String url(GitRepoFixture repository) {
        try {
            return "http://" + LOOPBACK + ":" + server.getAddress().getPort() + "/"
                    + baseDir.relativize(repository.directory().toRealPath());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Requests answered 401 because they had no or the wrong credentials. */
    public int refusedRequests() {
        return refusedRequests.get();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.stop(0);
        running.forEach(Process::destroyForcibly);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
            FileUtils.delete(baseDir.toFile(), FileUtils.RECURSIVE | FileUtils.RETRY);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!expectedAuthorization.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                refusedRequests.incrementAndGet();
                exchange.getRequestBody().readAllBytes();
                exchange.getResponseHeaders().set("WWW-Authenticate", REALM);
                exchange.sendResponseHeaders(401, -1);
                return;
            }
            runBackend(exchange);
        }
    }

    /** The CGI contract: request metadata in the environment, body on stdin, headers then body on stdout. */
    private void runBackend(HttpExchange exchange) throws IOException {
        ProcessBuilder builder = new ProcessBuilder("git", "http-backend").redirectError(ProcessBuilder.Redirect.DISCARD);
        Map<String, String> env = builder.environment();
        env.put("GIT_PROJECT_ROOT", baseDir.toString());
        env.put("GIT_HTTP_EXPORT_ALL", "1");
        env.put("REQUEST_METHOD", exchange.getRequestMethod());
        env.put("PATH_INFO", exchange.getRequestURI().getRawPath());
        env.put("QUERY_STRING", exchange.getRequestURI().getRawQuery() == null ? "" : exchange.getRequestURI().getRawQuery());
        env.put("REMOTE_USER", "sluice-test");
        env.put("REMOTE_ADDR", LOOPBACK);
        copyHeader(exchange, "Content-Type", env, "CONTENT_TYPE");
        copyHeader(exchange, "Content-Length", env, "CONTENT_LENGTH");
        copyHeader(exchange, "Content-Encoding", env, "HTTP_CONTENT_ENCODING");
        copyHeader(exchange, "Git-Protocol", env, "GIT_PROTOCOL");
        Process backend = builder.start();
        running.add(backend);
        try {
            Thread feeder = Thread.ofVirtual().start(() -> {
                try (InputStream body = exchange.getRequestBody(); OutputStream stdin = backend.getOutputStream()) {
                    body.transferTo(stdin);
                } catch (IOException ignored) {
                    // the backend exited early; its answer says why
                }
            });
            try (InputStream stdout = backend.getInputStream()) {
                int status = 200;
                String line;
                while (!(line = readHeaderLine(stdout)).isEmpty()) {
                    int colon = line.indexOf(':');
                    String name = line.substring(0, colon).strip();
                    String value = line.substring(colon + 1).strip();
                    if (name.equalsIgnoreCase("Status")) {
                        status = Integer.parseInt(value.split(" ")[0]);
                    } else {
                        exchange.getResponseHeaders().add(name, value);
                    }
                }
                exchange.sendResponseHeaders(status, 0);
                try (OutputStream body = exchange.getResponseBody()) {
                    stdout.transferTo(body);
                }
            }
            feeder.join();
            backend.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            backend.destroyForcibly();
            running.remove(backend);
        }
    }

    private static void copyHeader(HttpExchange exchange, String header, Map<String, String> env, String variable) {
        String value = exchange.getRequestHeaders().getFirst(header);
        if (value != null) {
            env.put(variable, value);
        }
    }

    private static String readHeaderLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != -1 && b != '\n'; b = in.read()) {
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }
}
