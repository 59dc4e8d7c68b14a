package io.sluice.demo.dataplane;

import io.sluice.demo.process.ExternalProcess;
import io.sluice.demo.process.ExternalService;
import io.sluice.demo.process.Poll;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real HAProxy splitting traffic between a stable and a canary server, the way Sluice's HAProxy
 * data plane does: one frontend routing to backend {@value #BACKEND} ({@code balance roundrobin},
 * servers {@value #STABLE} and {@value #CANARY}), weights changed at runtime over the runtime API,
 * and HAProxy's built-in Prometheus exporter on its own port.
 *
 * <p>It starts with all traffic on stable (configured weights 100 and 0). Ports are reserved on
 * construction, so {@link #metricsTarget()} can be given to a Prometheus fixture before
 * {@link #start()}.
 */
public final class HAProxyFixture extends ExternalService {

    public static final String BACKEND = "app";
    public static final String STABLE = "stable";
    public static final String CANARY = "canary";

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(15);
    private static final int SOCKET_TIMEOUT_MILLIS = 5000;

    private final String stableHostPort;
    private final String canaryHostPort;
    private final int trafficPort = ExternalProcess.freeLoopbackPort();
    private final int metricsPort = ExternalProcess.freeLoopbackPort();
    private final int runtimeApiPort = ExternalProcess.freeLoopbackPort();

    /** Routes to the two application versions at these {@code host:port} addresses; runs nothing yet. */
    public HAProxyFixture(String stableHostPort, String canaryHostPort) {
        super("HAProxy", "haproxy");
        this.stableHostPort = stableHostPort;
        this.canaryHostPort = canaryHostPort;
    }

    /**
     * Starts {@code haproxy} in the foreground and waits until its frontends and runtime API answer.
     *
     * @throws IllegalStateException when haproxy is not installed, exits, or does not answer in time
     *     (with the tail of its log)
     */
    @Override
    public HAProxyFixture start() {
        startProcess(process -> {
            Path config = process.workDir().resolve("haproxy.cfg");
            Files.writeString(config, config());
            // -db: stay in the foreground as one process, so the PID we hold is the one that serves
            process.start(List.of("-db", "-f", config.toString()));
            awaitAnswering();
        });
        return this;
    }

    /** Where users send requests: the frontend that splits them between stable and canary. */
    public URI trafficUrl() {
        return URI.create("http://127.0.0.1:" + trafficPort + "/");
    }

    /** {@code host:port} of the Prometheus exporter, which serves {@code /metrics}. */
    public String metricsTarget() {
        return "127.0.0.1:" + metricsPort;
    }

    /**
     * Splits traffic by percentage, e.g. 90/10. The percentages become absolute runtime weights
     * (weight = percent): a percentage weight would be relative to the configured one, and canary's
     * configured weight is 0.
     *
     * <p>The weight that goes up is set first: lowering the other first lets roundrobin send the
     * next 1–3 s of traffic to the server that has "catching up" to do.
     */
    public void setWeights(int stablePercent, int canaryPercent) {
        if (stablePercent < 0 || canaryPercent < 0 || stablePercent + canaryPercent != 100) {
            throw new IllegalArgumentException(
                    "percentages must be non-negative and add up to 100: " + stablePercent + "/" + canaryPercent);
        }
        if (canaryPercent > weight(CANARY)) {
            setWeight(CANARY, canaryPercent);
            setWeight(STABLE, stablePercent);
        } else {
            setWeight(STABLE, stablePercent);
            setWeight(CANARY, canaryPercent);
        }
    }

    /**
     * Sets one server's absolute weight (0–256, 0 = up but no traffic).
     *
     * @throws IllegalStateException with HAProxy's answer if it refuses the command
     */
    public void setWeight(String server, int weight) {
        String command = "set weight " + BACKEND + "/" + server + " " + weight;
        String answer = runtimeApi(command);
        if (!answer.isBlank()) {
            throw new IllegalStateException("HAProxy refused '" + command + "': " + answer.strip());
        }
    }

    /** The server's current weight as HAProxy reports it ({@code get weight}). */
    public int weight(String server) {
        String answer = runtimeApi("get weight " + BACKEND + "/" + server).strip();
        // "90 (initial 100)"
        try {
            return Integer.parseInt(answer.split(" ", 2)[0]);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("unexpected answer to 'get weight " + BACKEND + "/" + server + "': " + answer, e);
        }
    }

    /** Sends one command to the runtime API and returns HAProxy's whole answer. */
    public String runtimeApi(String command) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", runtimeApiPort), SOCKET_TIMEOUT_MILLIS);
            socket.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            out.write((command + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // without "prompt", HAProxy answers one line of commands and closes the connection
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("runtime API command '" + command + "' failed", e);
        }
    }

    private String config() {
        return """
                global
                    log stderr format raw local0 info
                    # loopback only: the runtime API has no authentication
                    stats socket ipv4@127.0.0.1:%d level admin

                defaults
                    mode http
                    log global
                    option httplog
                    # the readiness probe only connects: keep it out of the log
                    option dontlognull
                    timeout connect 2s
                    timeout client 30s
                    timeout server 30s

                frontend traffic
                    bind 127.0.0.1:%d
                    default_backend %s

                backend %s
                    balance roundrobin
                    server %s %s weight 100
                    server %s %s weight 0

                frontend metrics
                    bind 127.0.0.1:%d
                    http-request use-service prometheus-exporter if { path /metrics }
                """.formatted(runtimeApiPort, trafficPort, BACKEND, BACKEND,
                STABLE, stableHostPort, CANARY, canaryHostPort, metricsPort);
    }

    private void awaitAnswering() {
        try {
            Poll.until("HAProxy answering", STARTUP_TIMEOUT, Duration.ofMillis(100),
                    e -> e instanceof IOException || e instanceof UncheckedIOException,
                    () -> {
                        if (!process().isAlive()) {
                            throw new IllegalStateException("HAProxy exited during startup\n" + logTail());
                        }
                        acceptsConnections(trafficPort);
                        acceptsConnections(metricsPort);
                        return !runtimeApi("show version").isBlank();
                    });
        } catch (Poll.TimedOut e) {
            throw new IllegalStateException("HAProxy did not answer on ports " + trafficPort + ", " + metricsPort
                    + " and " + runtimeApiPort + " within " + STARTUP_TIMEOUT + "\n" + logTail(), e);
        }
    }

    private static void acceptsConnections(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), SOCKET_TIMEOUT_MILLIS);
        }
    }
}
