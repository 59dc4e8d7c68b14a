package io.sluice.notify.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.api.v1alpha1.PendingNotification;
import io.sluice.config.SluiceConfig;
import io.sluice.notify.Destination;
import io.sluice.notify.Notification;
import io.sluice.notify.Notifier;
import io.sluice.notify.PendingStore;
import io.sluice.notify.StatusPendingStore;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * POSTs notifications as JSON (generic webhook) or as a Slack message.
 * <p>
 * <b>Isolation.</b> Each destination (URL) has its own bounded queue and its own sender (a virtual
 * thread while it has work), so a destination that is slow, refuses, or accepts and never answers
 * delays only its own notifications; every attempt is bounded by a connect and a request timeout.
 * Within one destination, notifications go in order. A full queue, or too many destinations at once,
 * drops the new notification (logged, counted): memory stays bounded.
 * <p>
 * <b>Retries.</b> A failed attempt (connection error, timeout, non-2xx answer) is tried again after a
 * backoff that doubles up to a maximum, until the number of attempts or the notification's age reaches
 * its bound; then it is dropped, logged and counted ({@code sluice_notifications_dropped_total}).
 * <p>
 * <b>Durability.</b> Notifications handed over by {@link #deliver} are records in the Rollout's status:
 * their failed attempts are written back, and each is removed from status once delivered or dropped. A
 * restarted operator gets them again from status and sends each once more with the same id (at least
 * once: one delivered just before a crash, whose removal was not yet written, is sent again; receivers
 * de-duplicate on the id). URLs are never logged or counted by: they carry the webhook's credentials.
 */
@ApplicationScoped
public class WebhookNotifier implements Notifier, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WebhookNotifier.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Settled records remembered, so one still in a status not yet rewritten is not sent again. */
    private static final int SETTLED_REMEMBERED = 10_000;

    /** Bounds and timings of deliveries. */
    public record Settings(int attempts, Duration firstBackoff, Duration maxBackoff, Duration maxAge,
                           Duration connectTimeout, Duration requestTimeout, int queuePerDestination, int maxDestinations) {
        static Settings of(SluiceConfig.Notifications n) {
            return new Settings(n.attempts(), n.retryBackoff(), n.maxBackoff(), n.maxAge(), n.connectTimeout(),
                    n.requestTimeout(), n.queuePerDestination(), n.maxDestinations());
        }
    }

    private final Settings settings;
    private final PendingStore store;
    private final Clock clock;
    private final HttpClient http;
    private final ExecutorService senders = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("sluice-notifier-", 0).factory());
    /** URL → its queue; present only while the destination has work. */
    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();
    /** Durable records handed over: key → whether settled (delivered or dropped); queued ones map to false. */
    private final Map<String, Boolean> records = new ConcurrentHashMap<>();
    private final Counter sent;
    private final Map<String, Counter> dropped = new ConcurrentHashMap<>();
    private final MeterRegistry registry;

    @Inject
    public WebhookNotifier(SluiceConfig config, KubernetesClient client, Clock clock, MeterRegistry registry) {
        this(Settings.of(config.notifications()), new StatusPendingStore(client), clock, registry);
    }

    /** Without a durable store, with default timeouts and bounds (tests). */
    public WebhookNotifier(int attempts, Duration firstBackoff) {
        this(new Settings(attempts, firstBackoff, Duration.ofSeconds(30), Duration.ofMinutes(15), Duration.ofSeconds(2),
                Duration.ofSeconds(5), 100, 500), PendingStore.NONE, Clock.systemUTC(), new SimpleMeterRegistry());
    }

    public WebhookNotifier(Settings settings, PendingStore store, Clock clock, MeterRegistry registry) {
        this.settings = settings;
        this.store = store;
        this.clock = clock;
        this.registry = registry;
        this.http = HttpClient.newBuilder().connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.sent = Counter.builder("sluice.notifications.sent")
                .description("Notifications delivered (a 2xx answer), counted per destination").register(registry);
        for (String reason : List.of("attempts", "expired", "queue-full", "destinations", "overflow")) {
            dropped(reason);
        }
    }

    @Override
    public void send(Notification notification, List<Destination> destinations) {
        for (Destination destination : destinations) {
            if (destination.wants(notification.kind())) {
                enqueue(new Job(notification, destination, null, destination.type().name(), 0));
            }
        }
    }

    @Override
    public void deliver(RolloutRef rollout, List<PendingNotification> pending, Map<String, Destination> destinations) {
        if (records.size() > SETTLED_REMEMBERED) {
            records.values().removeIf(Boolean::booleanValue);
        }
        for (PendingNotification p : pending) {
            String key = key(rollout, p);
            if (records.containsKey(key)) {
                continue; // queued, in flight or settled here: never twice from one operator
            }
            Notification notification;
            try {
                notification = Notification.of(p, rollout.namespace(), rollout.name());
            } catch (RuntimeException unreadable) { // a hand-edited record: nothing to send
                settle(rollout, p.id, p.destination, key);
                continue;
            }
            Destination destination = destinations.get(p.destination);
            if (destination == null) {
                // Its Secret is missing or its URL refused for now, or the target is gone: kept until too old.
                if (expired(notification)) {
                    records.put(key, false);
                    drop(new Job(notification, null, rollout, p.destination, attempts(p)), "expired");
                }
                continue;
            }
            records.put(key, false);
            enqueue(new Job(notification, destination, rollout, p.destination, attempts(p)));
        }
    }

    @Override
    public boolean settled(RolloutRef rollout, PendingNotification pending) {
        return Boolean.TRUE.equals(records.get(key(rollout, pending)));
    }

    @Override
    public void overflowed(RolloutRef rollout, PendingNotification p) {
        dropped("overflow").increment();
        LOG.warnf("notification %s (%s) for %s/%s to %s dropped: more than %d waiting for that Rollout",
                p.kind, p.id, rollout.namespace(), rollout.name(), p.destination, PendingNotification.LIMIT);
    }

    private static int attempts(PendingNotification p) {
        return p.attempts == null ? 0 : Math.max(0, p.attempts);
    }

    private static String key(RolloutRef rollout, PendingNotification p) {
        return rollout.uid() + "\n" + p.id + "\n" + p.destination;
    }

    private void enqueue(Job job) {
        String url = job.destination.url();
        boolean[] refused = {false};
        boolean[] start = {false};
        String[] why = {null};
        lanes.compute(url, (k, lane) -> {
            if (lane == null) {
                if (lanes.size() >= settings.maxDestinations()) {
                    why[0] = "destinations";
                    return null;
                }
                lane = new Lane(url);
            }
            if (lane.queue.size() >= settings.queuePerDestination()) {
                why[0] = "queue-full";
                return lane;
            }
            lane.queue.add(job);
            if (!lane.running) {
                lane.running = true;
                start[0] = true;
            }
            return lane;
        });
        if (why[0] != null) {
            drop(job, why[0]);
            return;
        }
        if (start[0]) {
            Lane lane = lanes.get(url);
            try {
                senders.execute(() -> drain(lane));
            } catch (java.util.concurrent.RejectedExecutionException stopped) {
                LOG.debug("notifier stopped; not sending");
            }
        }
    }

    /** The sender of one destination: its notifications one after the other, until its queue is empty. */
    private void drain(Lane lane) {
        while (!Thread.currentThread().isInterrupted()) {
            Job[] next = {null};
            lanes.compute(lane.url, (k, current) -> {
                next[0] = lane.queue.poll();
                if (next[0] == null) {
                    lane.running = false;
                    return null; // idle: forgotten, a new notification starts a new sender
                }
                return lane;
            });
            if (next[0] == null) {
                return;
            }
            if (!deliverWithRetries(next[0])) {
                return; // interrupted: the notifier is stopping
            }
        }
    }

    /** False when interrupted. */
    private boolean deliverWithRetries(Job job) {
        int attempts = job.attempts;
        while (true) {
            if (expired(job.notification)) {
                drop(job.withAttempts(attempts), "expired");
                return true;
            }
            String failure;
            try {
                failure = attempt(job);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            if (failure == null) {
                sent.increment();
                if (job.durable()) {
                    settle(job.rollout, job.notification.id(), job.reference, recordKey(job));
                }
                return true;
            }
            attempts++;
            if (attempts >= settings.attempts()) {
                drop(job.withAttempts(attempts), "attempts", failure);
                return true;
            }
            if (job.durable()) {
                store.attempted(job.rollout, job.notification.id(), job.reference, attempts);
            }
            try {
                Thread.sleep(backoff(attempts));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** One POST; null when the destination accepted it, else why not (never the URL). */
    private String attempt(Job job) throws InterruptedException {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(job.destination.url()))
                    .timeout(settings.requestTimeout())
                    .header("Content-Type", "application/json")
                    .header("Idempotency-Key", job.notification.id())
                    .header("X-Sluice-Notification-Id", job.notification.id())
                    .POST(HttpRequest.BodyPublishers.ofString(body(job.notification, job.destination.type())))
                    .build();
            int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            return status / 100 == 2 ? null : "HTTP " + status;
        } catch (IOException | IllegalArgumentException e) {
            return e.getClass().getSimpleName();
        }
    }

    private Duration backoff(int failedAttempts) {
        long millis = settings.firstBackoff().toMillis() << Math.min(20, failedAttempts - 1);
        return Duration.ofMillis(Math.min(millis, settings.maxBackoff().toMillis()));
    }

    private boolean expired(Notification n) {
        try {
            return n.time() != null && Instant.parse(n.time()).plus(settings.maxAge()).isBefore(clock.instant());
        } catch (DateTimeParseException unreadable) {
            return false;
        }
    }

    private void drop(Job job, String reason) {
        drop(job, reason, null);
    }

    private void drop(Job job, String reason, String lastFailure) {
        dropped(reason).increment();
        // the URL is not logged: it carries the webhook's credentials
        LOG.warnf("notification %s (%s) for %s/%s to %s dropped (%s) after %d failed attempts%s", job.notification.kind(),
                job.notification.id(), job.notification.namespace(), job.notification.rollout(), job.reference,
                switch (reason) {
                    case "attempts" -> "no more attempts";
                    case "expired" -> "older than sluice.notifications.max-age";
                    case "queue-full" -> "that destination's queue is full";
                    case "destinations" -> "too many destinations at once";
                    default -> reason;
                }, job.attempts, lastFailure == null ? "" : " (last: " + lastFailure + ")");
        if (job.durable()) {
            settle(job.rollout, job.notification.id(), job.reference, recordKey(job));
        }
    }

    private void settle(RolloutRef rollout, String id, String reference, String key) {
        records.put(key, true);
        store.remove(rollout, id, reference);
    }

    private static String recordKey(Job job) {
        return job.rollout.uid() + "\n" + job.notification.id() + "\n" + job.reference;
    }

    private Counter dropped(String reason) {
        return dropped.computeIfAbsent(reason, r -> Counter.builder("sluice.notifications.dropped").tag("reason", r)
                .description("Notifications given up on, by reason (attempts, expired, queue-full, destinations, overflow)")
                .register(registry));
    }

    static String body(Notification n, Destination.Type type) throws IOException {
        if (type == Destination.Type.slack) {
            String text = ":" + emoji(n) + ": *" + n.namespace() + "/" + n.rollout() + "* " + n.kind() + ": " + n.message();
            return JSON.writeValueAsString(Map.of("text", text));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", n.id());
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
    @Override
    public void close() {
        senders.shutdownNow();
    }

    /** One notification for one destination; reference names the destination in logs and in status. */
    private record Job(Notification notification, Destination destination, RolloutRef rollout, String reference,
                       int attempts) {
        boolean durable() {
            return rollout != null;
        }

        Job withAttempts(int n) {
            return new Job(notification, destination, rollout, reference, n);
        }
    }

    private static final class Lane {
        final String url;
        final ArrayDeque<Job> queue = new ArrayDeque<>();
        boolean running;

        Lane(String url) {
            this.url = url;
        }
    }
}
