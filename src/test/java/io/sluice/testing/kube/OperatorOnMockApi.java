package io.sluice.testing.kube;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.sluice.sandbox.SandboxClientProperties;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;

/**
 * Runs the operator under {@code @QuarkusTest} against the mock API: starts the sandbox API with the
 * project's CRDs installed before Quarkus starts, and points the operator's Kubernetes client (and
 * its Git mirror cache) at test-owned places. The mock is the one stand-in: no API server binary
 * can run on these machines.
 */
public class OperatorOnMockApi implements QuarkusTestResourceLifecycleManager {
    private MockKubeApi api;
    private Path gitCache;

    @Override
    public Map<String, String> start() {
        api = MockKubeApi.start();
        try {
            gitCache = Files.createTempDirectory("sluice-test-git-cache");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        SandboxClientProperties.pointAt(api.server().url());
        return Map.of(
                "sluice.git.cache-dir", gitCache.toString(),
                "sluice.git.min-fetch-interval", "0s",
                "sluice.git.allow-file-urls", "true",
                "sluice.outbound.allow-loopback", "true",
                "sluice.retry-interval", "1s",
                "sluice.timer-resolution", "200ms",
                "sluice.metrics-refresh", "1s",
                "sluice.notifications.retry-backoff", "100ms");
    }

    /** The mock API this resource started (null before {@link #start()}). */
    protected MockKubeApi mockApi() {
        return api;
    }

    @Override
    public void stop() {
        SandboxClientProperties.clear();
        if (api != null) {
            api.close();
        }
        if (gitCache != null) {
            try (var files = Files.walk(gitCache)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // best effort: a temp dir
            }
        }
    }
}
