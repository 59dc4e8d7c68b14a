package io.sluice.demo.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TestBackendTest {

    private final TestBackend canary = new TestBackend("canary").start();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() {
        http.close();
        canary.close();
    }

    @Test
    void theErrorRateIsSpreadEvenlyOverTheRequests() throws Exception {
        canary.setErrorRate(0.2);

        List<Integer> failed = new ArrayList<>();
        for (int request = 1; request <= 50; request++) {
            if (get(canary.url()).statusCode() == 500) {
                failed.add(request);
            }
        }

        assertThat(failed).containsExactly(5, 10, 15, 20, 25, 30, 35, 40, 45, 50);
    }

    @Test
    void metricsCountRequestsAndDurationsPerStatusCode() throws Exception {
        canary.setErrorRate(0.25);
        for (int i = 0; i < 8; i++) {
            get(canary.url().resolve("/orders/" + i));
        }

        String metrics = get(canary.url().resolve("/metrics")).body();

        assertThat(metrics).contains(
                "# TYPE sluice_test_requests_total counter",
                "sluice_test_requests_total{backend=\"canary\",code=\"200\"} 6\n",
                "sluice_test_requests_total{backend=\"canary\",code=\"500\"} 2\n",
                "# TYPE sluice_test_request_duration_seconds histogram",
                "sluice_test_request_duration_seconds_bucket{backend=\"canary\",code=\"200\",le=\"10\"} 6\n",
                "sluice_test_request_duration_seconds_bucket{backend=\"canary\",code=\"200\",le=\"+Inf\"} 6\n",
                "sluice_test_request_duration_seconds_count{backend=\"canary\",code=\"500\"} 2\n",
                "sluice_test_request_duration_seconds_sum{backend=\"canary\",code=\"500\"} ");
    }

    @Test
    void addedLatencyDelaysTheAnswerAndLandsInTheMatchingBucket() throws Exception {
        canary.setLatency(Duration.ofMillis(60));

        long start = System.nanoTime();
        get(canary.url());
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        String metrics = get(canary.url().resolve("/metrics")).body();

        assertThat(took).isBetween(Duration.ofMillis(60), Duration.ofMillis(1000));
        assertThat(metrics).contains(
                "sluice_test_request_duration_seconds_bucket{backend=\"canary\",code=\"200\",le=\"0.05\"} 0\n",
                "sluice_test_request_duration_seconds_bucket{backend=\"canary\",code=\"200\",le=\"0.1\"} 1\n");
    }

    @Test
    void answersWithoutDelayWhenNoLatencyIsSet() throws Exception {
        get(canary.url()); // connection set up
        long start = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            get(canary.url());
        }
        Duration perRequest = Duration.ofNanos(System.nanoTime() - start).dividedBy(20);

        // the backend must add no latency of its own (e.g. ~40 ms delayed-ACK stalls), or latency checks measure it
        assertThat(perRequest).isLessThan(Duration.ofMillis(20));
    }

    private HttpResponse<String> get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    }
}
