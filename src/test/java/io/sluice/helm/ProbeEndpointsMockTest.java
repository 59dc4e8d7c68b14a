package io.sluice.helm;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sluice.testing.kube.OperatorOnMockApi;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

/** The endpoints the Helm chart's probes and ServiceMonitor use answer on the operator's HTTP port. */
@QuarkusTest
@QuarkusTestResource(OperatorOnMockApi.class)
class ProbeEndpointsMockTest {

    @Test
    void startedLiveAndReadyOnceTheInformersHaveSynced() {
        given().when().get("/q/health/started").then().statusCode(200).body("status", equalTo("UP"));
        given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        // Ready: the operator SDK's check that every controller's informers run and have synced.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().when().get("/q/health/ready").then()
                .statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItem("Quarkus Operator SDK health check")));
    }

    @Test
    void metricsAreServedWhereTheServiceMonitorScrapes() {
        given().when().get("/q/metrics").then().statusCode(200).body(containsString("sluice_rollouts"));
    }
}
