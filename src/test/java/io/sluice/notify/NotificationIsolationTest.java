package io.sluice.notify;

import com.sun.net.httpserver.HttpServer;
import io.sluice.notify.webhook.WebhookNotifier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Destinations are isolated: a destination that accepts connections and never answers (a black hole)
 * does not delay the delivery to a healthy one; every payload carries an id that stays the same on retry.
 */
class NotificationIsolationTest {
    private ServerSocket blackHole;
    private final List<Socket> heldOpen = new CopyOnWriteArrayList<>();
    private HttpServer healthy;
    private final List<String> received = new CopyOnWriteArrayList<>();
    private final List<Long> receivedAtNanos = new CopyOnWriteArrayList<>();
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private WebhookNotifier notifier;

    @BeforeEach
    void start() throws Exception {
        // Accepts TCP connections and never reads or answers: what a hung receiver looks like.
        blackHole = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!blackHole.isClosed()) {
                try {
                    heldOpen.add(blackHole.accept());
                } catch (Exception closed) {
                    return;
                }
            }
        }, "black-hole");
        acceptor.setDaemon(true);
        acceptor.start();
        healthy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        healthy.createContext("/hook", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            boolean fail = failuresLeft.getAndDecrement() > 0;
            received.add(body);
            receivedAtNanos.add(System.nanoTime());
            exchange.sendResponseHeaders(fail ? 503 : 204, -1);
            exchange.close();
        });
        healthy.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (notifier != null) {
            notifier.close();
        }
        healthy.stop(0);
        blackHole.close();
        for (Socket s : heldOpen) {
            s.close();
        }
    }

    @Test
    void aBlackHoleDestinationDoesNotDelayAHealthyOne() {
        notifier = new WebhookNotifier(4, Duration.ofMillis(200));
        Destination dead = new Destination(Destination.Type.webhook,
                "http://127.0.0.1:" + blackHole.getLocalPort() + "/hook", Set.of());
        Destination alive = new Destination(Destination.Type.webhook,
                "http://127.0.0.1:" + healthy.getAddress().getPort() + "/hook", Set.of());
        long sentAt = System.nanoTime();
        // Several notifications, the dead destination first each time: none may wait for it.
        for (int i = 0; i < 3; i++) {
            notifier.send(notification("StepCompleted", i * 10), List.of(dead, alive));
        }

        await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 3);
        long slowestMillis = TimeUnit.NANOSECONDS.toMillis(receivedAtNanos.get(2) - sentAt);
        assertThat(slowestMillis).as("the healthy destination's third notification, in ms").isLessThan(1000);
        assertThat(heldOpen).as("the black hole is still being tried meanwhile").isNotEmpty();
    }

    @Test
    void everyPayloadCarriesAnIdThatStaysTheSameOnRetry() {
        failuresLeft.set(2);
        notifier = new WebhookNotifier(4, Duration.ofMillis(50));
        Destination alive = new Destination(Destination.Type.webhook,
                "http://127.0.0.1:" + healthy.getAddress().getPort() + "/hook", Set.of());
        notifier.send(notification("Promoted", 100), List.of(alive));
        notifier.send(notification("Promoted", 100), List.of(alive));

        await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 4);
        List<String> ids = new ArrayList<>();
        for (String body : received) {
            Matcher id = Pattern.compile("\"id\":\"([^\"]+)\"").matcher(body);
            assertThat(id.find()).as("an id in " + body).isTrue();
            ids.add(id.group(1));
        }
        assertThat(ids.subList(0, 3)).as("the first notification, failed twice then delivered").containsOnly(ids.get(0));
        assertThat(ids.get(3)).as("a second, identical-looking notification has its own id").isNotEqualTo(ids.get(0));
    }

    private static Notification notification(String reason, int weight) {
        return new Notification(NotificationKind.StepCompleted, "shop", "checkout", reason, "weight " + weight,
                "aaaa", "bbbb", weight, java.time.Instant.now().toString());
    }
}
