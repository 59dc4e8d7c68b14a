package io.sluice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The harness's watches end with its client. One benchmark JVM runs every cell in turn, so a watch
 * thread left retrying a shut-down client in a tight loop (as it once did) takes a core away from
 * every later cell and skews all their figures.
 */
class KubeWatchTest {

    @Test
    void aWatchSeesChangesAndItsThreadEndsWithTheClient() throws Exception {
        try (BenchApiServer api = BenchApiServer.start(0)) {
            List<String> seen = new CopyOnWriteArrayList<>();
            Thread watch;
            try (Kube kube = new Kube(api.url())) {
                kube.create("/api/v1/namespaces/w/configmaps", configMap("before"));
                watch = kube.listAndWatch("/api/v1/namespaces/w/configmaps",
                        (type, o) -> seen.add(type + " " + o.path("metadata").path("name").asText()));
                kube.create("/api/v1/namespaces/w/configmaps", configMap("after"));
                await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("ADDED after"));
            }
            assertThat(seen).startsWith("ADDED before");

            assertThat(watch.isAlive()).as("the watch thread once the client is closed").isFalse();
        }
    }

    private static JsonNode configMap(String name) {
        var cm = Kube.JSON.createObjectNode().put("apiVersion", "v1").put("kind", "ConfigMap");
        cm.putObject("metadata").put("name", name).put("namespace", "w");
        return cm;
    }
}
