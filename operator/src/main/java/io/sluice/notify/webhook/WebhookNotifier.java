package io.sluice.notify.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.config.SluiceConfig;
import io.sluice.notify.Destination;
import io.sluice.notify.Notification;
import io.sluice.notify.Notifier;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * POSTs notifications as JSON (generic webhook) or as a Slack message, from its own thread: the
 * reconcile only hands them over. A failed delivery (connection error or non-2xx answer) is tried
 * again with exponential backoff, a bounded number of times; the number in flight is bounded too,
 * and beyond it notifications are dropped with a log line rather than pile up in memory.
 */
@ApplicationScoped
public class WebhookNotifier implements Notifier {
    private static final Logger LOG = Logger.getLogger(WebhookNotifier.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_IN_FLIGHT = 1000;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sluice-notifier");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger inFlight = new AtomicInteger();
    private final int attempts;
    private final Duration firstBackoff;

    @Inject
    public WebhookNotifier(SluiceConfig config) {
        this(config.notifications().attempts(), config.notifications().retryBackoff());
    }

    public WebhookNotifier(int attempts, Duration firstBackoff) {
        this.attempts = attempts;
        this.firstBackoff = firstBackoff;
    }

    @Override
    public void send(Notification notification, List<Destination> destinations) {
        for (Destination destination : destinations) {
            if (!destination.wants(notification.kind())) {
                continue;
            }
            if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
                inFlight.decrementAndGet();
                LOG.warnf("notification %s for %s/%s dropped: %d already waiting", notification.kind(),
                        notification.namespace(), notification.rollout(), MAX_IN_FLIGHT);
                continue;
            }
            sender.execute(() -> deliver(notification, destination, 1));
        }
    }

    private void deliver(Notification notification, Destination destination, int attempt) {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(destination.url()))
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body(notification, destination.type())))
                    .build();
            int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status / 100 == 2) {
                inFlight.decrementAndGet();
                return;
            }
            retryOrGiveUp(notification, destination, attempt, "HTTP " + status);
        } catch (IOException | IllegalArgumentException e) {
            retryOrGiveUp(notification, destination, attempt, e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            inFlight.decrementAndGet();
            Thread.currentThread().interrupt();
        }
    }

    private void retryOrGiveUp(Notification notification, Destination destination, int attempt, String why) {
        if (attempt >= attempts) {
            inFlight.decrementAndGet();
            // the URL is not logged: it carries the webhook's credentials
            LOG.warnf("notification %s for %s/%s to a %s destination failed %d times (last: %s); giving up",
                    notification.kind(), notification.namespace(), notification.rollout(), destination.type(), attempt, why);
            return;
        }
        long delay = firstBackoff.toMillis() << (attempt - 1);
        sender.schedule(() -> deliver(notification, destination, attempt + 1), delay, TimeUnit.MILLISECONDS);
    }

    static String body(Notification n, Destination.Type type) throws IOException {
        if (type == Destination.Type.slack) {
            String text = ":" + emoji(n) + ": *" + n.namespace() + "/" + n.rollout() + "* " + n.kind() + ": " + n.message();
            return JSON.writeValueAsString(Map.of("text", text));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("kind", n.kind().name());
        body.put("namespace", n.namespace());
        body.put("rollout", n.rollout());
        body.put("reason", n.reason());
        body.put("message", n.message());
        body.put("stableRevision", n.stableRevision());
        body.put("canaryRevision", n.canaryRevision());
        body.put("canaryWeight", n.canaryWeight());
        body.put("time", n.time());
        return JSON.writeValueAsString(body);
    }

    private static String emoji(Notification n) {
        return switch (n.kind()) {
            case Started -> "rocket";
            case StepCompleted -> "arrow_forward";
            case Paused -> "double_vertical_bar";
            case Promoted -> "white_check_mark";
            case Aborted -> "octagonal_sign";
            case RolledBack -> "rotating_light";
        };
    }

    @PreDestroy
    void stop() {
        sender.shutdownNow();
    }
}
