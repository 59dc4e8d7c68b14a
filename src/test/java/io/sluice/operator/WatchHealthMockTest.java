package io.sluice.operator;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sluice.testing.kube.MockKubeApi;
import io.sluice.testing.kube.OperatorOnMockApi;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * An operator one of whose watches has stopped acts on a stale cache: liveness must fail (so that
 * Kubernetes restarts it with new watches) and {@code sluice_watches_down} must say so. The stop is
 * forced with a managed Deployment the client cannot read (Sluice's own resources are read
 * leniently, see UnknownFields), which only a lax API server like the mock API lets through.
 */
@QuarkusTest
@QuarkusTestResource(WatchHealthMockTest.Api.class)
class WatchHealthMockTest {
    /** The operator on its own mock API, with a short grace for watches that reconnect. */
    public static class Api extends OperatorOnMockApi {
        static volatile MockKubeApi api;

        @Override
        public Map<String, String> start() {
            Map<String, String> config = new HashMap<>(super.start());
            api = mockApi();
            config.put("sluice.watch-grace", "2s");
            return config;
        }
    }

    @Test
    void livenessFailsAndTheMetricCountsTheWatchOnceAWatchHasStopped() throws Exception {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/q/health/ready").then().statusCode(200));
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/metrics").then().body(containsString("sluice_watches_down 0.0"));

        // A Deployment Sluice manages, with a replica count the client cannot read: the Deployment watch stops.
        String unreadable = """
                {"apiVersion":"apps/v1","kind":"Deployment",
                 "metadata":{"name":"unreadable","namespace":"shop","labels":{"app.kubernetes.io/managed-by":"sluice"}},
                 "spec":{"replicas":"three"}}""";
        HttpResponse<String> created = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(Api.api.server().url() + "/apis/apps/v1/namespaces/shop/deployments"))
                .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(unreadable)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isBetween(200, 299);
        System.out.println("WatchHealthMockTest: stored " + created.body());

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/q/health/live").then()
                .statusCode(503)
                .body("checks.find { it.name == 'Sluice watches' }.status", equalTo("DOWN"))
                .body(containsString("stopped")));
        given().get("/q/metrics").then().body(containsString("sluice_watches_down 1.0"));
    }
}
