package io.sluice.testing.dataplane;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.sluice.demo.dataplane.HAProxyFixture;
import io.sluice.demo.dataplane.TestBackend;
import io.sluice.demo.prometheus.PrometheusFixture;
import io.sluice.demo.prometheus.ScrapeJob;

import java.util.List;
import java.util.Map;

/**
 * The real data plane for an operator under {@code @QuarkusTest}: two backends behind HAProxy and a
 * Prometheus scraping all three, started before Quarkus so that the operator's Prometheus endpoint
 * {@code default} can point at it. Tests reach the processes through the static accessors.
 */
public class DataPlaneResource implements QuarkusTestResourceLifecycleManager {
    private static TestBackend stable;
    private static TestBackend canary;
    private static HAProxyFixture haproxy;
    private static PrometheusFixture prometheus;

    @Override
    public Map<String, String> start() {
        stable = new TestBackend(HAProxyFixture.STABLE).start();
        canary = new TestBackend(HAProxyFixture.CANARY).start();
        haproxy = new HAProxyFixture(stable.hostPort(), canary.hostPort()).start();
        prometheus = new PrometheusFixture(List.of(
                ScrapeJob.of("haproxy", "/metrics", haproxy.metricsTarget()),
                ScrapeJob.of("backends", "/metrics", stable.hostPort(), canary.hostPort()))).start();
        // "unreachable" names a Prometheus that is not there: nothing listens on that port.
        return Map.of("sluice.prometheus.default.address", prometheus.baseUrl(),
                "sluice.prometheus.unreachable.address", "http://127.0.0.1:" + closedPort(),
                "sluice.prometheus.unreachable.timeout", "2s");
    }

    private static int closedPort() {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        for (AutoCloseable process : new AutoCloseable[]{prometheus, haproxy, canary, stable}) {
            try {
                if (process != null) {
                    process.close();
                }
            } catch (Exception e) {
                // keep stopping the others
            }
        }
    }

    public static TestBackend stable() {
        return stable;
    }

    public static TestBackend canary() {
        return canary;
    }

    public static HAProxyFixture haproxy() {
        return haproxy;
    }

    public static PrometheusFixture prometheus() {
        return prometheus;
    }
}
