package io.sluice.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.config.SluiceConfig;
import io.sluice.operator.Leadership;
import io.sluice.source.GitPushed;
import io.sluice.source.GitSource;
import jakarta.enterprise.event.Event;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.source.RepositoryUrls;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code POST /webhooks/git}: a Git host reports a push, so the mirrors of that repository are fetched at
 * their next read instead of after the minimum fetch interval, and {@link GitPushed} lets Rollouts that
 * read it be reconciled now instead of at their next poll.
 * <p>
 * <b>Who may wake what.</b> A repository listed in {@code sluice.webhook.repositories.<name>} (URL and
 * secret) is woken only by a push authenticated with its own secret: GitHub's {@code X-Hub-Signature-256}
 * (HMAC-SHA256 of the body) or GitLab's {@code X-Gitlab-Token}. The shared secret
 * {@code sluice.webhook.secret}, if set, authenticates pushes for every other repository (less isolated:
 * whoever holds it can wake any of those). A push naming several repositories wakes only those its
 * secret covers; one whose secret covers none of them is answered 401 and wakes nothing, as is one
 * matching no secret at all. With no secret configured the endpoint answers 404, as if it did not exist.
 * Answers never repeat a secret or a header.
 * <p>
 * Under leader election only the leader acts on a push; another instance answers an authentic push with
 * 503 (and {@code Retry-After}) and triggers nothing, so the Git host records a failed delivery instead
 * of a push silently dropped. Polling picks the commit up either way.
 * <p>
 * <b>Replays.</b> An authentic delivery is acted on once: one whose id ({@code X-GitHub-Delivery},
 * {@code X-Gitlab-Event-UUID}) or whose body (by SHA-256; the id is not signed, the body is) was acted on
 * among the last {@value #RECENT_DELIVERIES} is answered 202 and triggers nothing, and a GitHub push whose
 * signed {@code repository.pushed_at} is older than {@code sluice.webhook.max-delivery-age} likewise; both
 * are counted in {@code sluice_webhook_deliveries_ignored_total}. So a captured GitHub delivery cannot be
 * replayed after that age, nor twice within it (unless the operator restarted meanwhile, which forgets
 * the recent ones). GitLab signs nothing: its token is sent as is, so a captured GitLab delivery is
 * recognised only while remembered.
 */
@Path("/webhooks/git")
public class GitWebhookResource {
    private static final Logger LOG = Logger.getLogger(GitWebhookResource.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> GITHUB_PUSH_EVENTS = Set.of("push");
    private static final Set<String> GITLAB_PUSH_EVENTS = Set.of("Push Hook", "Tag Push Hook");
    private static final int RECENT_DELIVERIES = 4096;

    private final Optional<PushAuthentication> shared;
    /** Normalized repository URL → the only secret that may wake it. */
    private final Map<String, PushAuthentication> perRepository = new LinkedHashMap<>();
    private final GitSource git;
    private final Event<GitPushed> pushed;
    private final AtomicBoolean toldDisabled = new AtomicBoolean();
    private final Leadership leadership;
    private final long retryAfterSeconds;
    private final Duration maxDeliveryAge;
    private final Clock clock;
    private final Counter replayed;
    private final Counter stale;
    /**
     * The delivery ids and body digests of the last deliveries acted on, so a captured delivery sent
     * again (with its id or a new one) triggers nothing.
     */
    private final Map<String, Boolean> recentDeliveries = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 2 * RECENT_DELIVERIES;
        }
    };

    public GitWebhookResource(SluiceConfig config, GitSource git, Event<GitPushed> pushed, Leadership leadership,
            Clock clock, MeterRegistry registry) {
        this.shared = config.webhook().secret().filter(s -> !s.isBlank()).map(PushAuthentication::new);
        config.webhook().repositories().forEach((name, repository) -> {
            if (repository.secret().isBlank()) {
                throw new IllegalArgumentException("sluice.webhook.repositories." + name + ".secret must not be blank");
            }
            perRepository.put(RepositoryUrls.normalize(repository.url()), new PushAuthentication(repository.secret()));
        });
        this.git = git;
        this.pushed = pushed;
        this.leadership = leadership;
        this.retryAfterSeconds = Math.max(1, config.leaderElection().leaseDuration().toSeconds());
        this.maxDeliveryAge = config.webhook().maxDeliveryAge();
        this.clock = clock;
        this.replayed = Counter.builder("sluice.webhook.deliveries.ignored").tag("reason", "replayed")
                .description("Authentic push webhooks not acted on: already handled (replayed) or too old (stale)")
                .register(registry);
        this.stale = Counter.builder("sluice.webhook.deliveries.ignored").tag("reason", "stale")
                .description("Authentic push webhooks not acted on: already handled (replayed) or too old (stale)")
                .register(registry);
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response push(byte[] body,
            @HeaderParam("X-Hub-Signature-256") String githubSignature,
            @HeaderParam("X-Gitlab-Token") String gitlabToken,
            @HeaderParam("X-GitHub-Event") String githubEvent,
            @HeaderParam("X-Gitlab-Event") String gitlabEvent,
            @HeaderParam("X-GitHub-Delivery") String githubDelivery,
            @HeaderParam("X-Gitlab-Event-UUID") String gitlabDelivery) {
        if (shared.isEmpty() && perRepository.isEmpty()) {
            if (toldDisabled.compareAndSet(false, true)) {
                LOG.info("a Git push webhook arrived, but webhooks are disabled (neither sluice.webhook.secret nor "
                        + "sluice.webhook.repositories is set); answering 404 and relying on polling");
            }
            return Response.status(Response.Status.NOT_FOUND).build();
        }
        JsonNode payload;
        try {
            payload = JSON.readTree(body);
        } catch (IOException e) {
            payload = null;
        }
        Set<String> named = payload == null ? Set.of() : PushPayload.repositoryKeys(payload);
        // The repositories this delivery's secret covers: each with its own secret only by that secret,
        // the others by the shared one.
        Set<String> covered = new LinkedHashSet<>();
        boolean authentic = false;
        for (String repository : named) {
            PushAuthentication own = perRepository.get(repository);
            if (own != null && own.authentic(body, githubSignature, gitlabToken)) {
                covered.add(repository);
                authentic = true;
            }
        }
        if (shared.isPresent() && shared.get().authentic(body, githubSignature, gitlabToken)) {
            authentic = true;
            named.stream().filter(r -> !perRepository.containsKey(r)).forEach(covered::add);
        }
        if (!authentic) {
            LOG.debug("refused a Git push webhook: signature or token missing or wrong");
            return answer(Response.Status.UNAUTHORIZED, "{\"error\":\"signature or token missing or wrong\"}");
        }
        if (payload == null) {
            return answer(Response.Status.BAD_REQUEST, "{\"error\":\"the body is not JSON\"}");
        }
        if (covered.isEmpty() && !named.isEmpty()) {
            LOG.debug("refused a Git push webhook: its secret does not cover the repositories it names");
            return answer(Response.Status.UNAUTHORIZED, "{\"error\":\"signature or token missing or wrong\"}");
        }
        if (!leadership.isLeader()) {
            // Only the leader reconciles; a push accepted here would be lost, so say so and let the
            // Git host show a failed delivery (polling still picks the commit up).
            LOG.infof("a Git push webhook reached this instance (%s), which is not the leader: answering 503",
                    leadership.identity());
            return Response.status(Response.Status.SERVICE_UNAVAILABLE)
                    .header("Retry-After", retryAfterSeconds)
                    .entity("{\"error\":\"this Sluice instance is not the leader; deliver the webhook to the leader\"}")
                    .type(MediaType.APPLICATION_JSON_TYPE).build();
        }
        if ((githubEvent != null && !GITHUB_PUSH_EVENTS.contains(githubEvent))
                || (gitlabEvent != null && !GITLAB_PUSH_EVENTS.contains(gitlabEvent))) {
            return answer(Response.Status.ACCEPTED, "{\"repositories\":0,\"ignored\":\"not a push event\"}");
        }
        Optional<Instant> pushedAt = pushedAt(payload);
        if (pushedAt.isPresent() && pushedAt.get().plus(maxDeliveryAge).isBefore(clock.instant())) {
            stale.increment();
            LOG.debug("ignored a Git push webhook pushed longer ago than sluice.webhook.max-delivery-age");
            return answer(Response.Status.ACCEPTED, "{\"repositories\":0,\"ignored\":\"delivery too old\"}");
        }
        String delivery = githubDelivery != null ? githubDelivery : gitlabDelivery;
        if (!firstTime(delivery, body)) {
            replayed.increment();
            LOG.debug("ignored a Git push webhook whose delivery id or body was already handled");
            return answer(Response.Status.ACCEPTED, "{\"repositories\":0,\"ignored\":\"delivery already handled\"}");
        }
        covered.forEach(git::invalidate);
        if (!covered.isEmpty()) {
            LOG.infof("Git push reported for %s", String.join(", ", covered));
            pushed.fire(new GitPushed(covered));
        }
        return answer(Response.Status.ACCEPTED, "{\"repositories\":" + covered.size() + "}");
    }

    /** GitHub's push payload carries {@code repository.pushed_at} (epoch seconds), inside the signed body. */
    private static Optional<Instant> pushedAt(JsonNode payload) {
        JsonNode at = payload.path("repository").path("pushed_at");
        if (at.isIntegralNumber()) {
            return Optional.of(Instant.ofEpochSecond(at.asLong()));
        }
        if (at.isTextual()) {
            try {
                return Optional.of(Instant.parse(at.asText()));
            } catch (DateTimeParseException ignored) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /**
     * Records an authentic delivery's id and body digest; false when either was seen among the last
     * {@value #RECENT_DELIVERIES}.
     */
    private boolean firstTime(String delivery, byte[] body) {
        String digest = "body:" + sha256(body);
        String id = delivery == null ? null : "id:" + (delivery.length() > 128 ? delivery.substring(0, 128) : delivery);
        synchronized (recentDeliveries) {
            boolean seen = recentDeliveries.containsKey(digest) || (id != null && recentDeliveries.containsKey(id));
            recentDeliveries.put(digest, Boolean.TRUE);
            if (id != null) {
                recentDeliveries.put(id, Boolean.TRUE);
            }
            return !seen;
        }
    }

    private static String sha256(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private static Response answer(Response.Status status, String json) {
        return Response.status(status).entity(json).type(MediaType.APPLICATION_JSON_TYPE).build();
    }
}
