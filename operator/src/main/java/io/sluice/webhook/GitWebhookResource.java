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

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code POST /webhooks/git}: a Git host reports a push, so the mirrors of that repository are fetched at
 * their next read instead of after the minimum fetch interval, and {@link GitPushed} lets Rollouts that
 * read it be reconciled now instead of at their next poll.
 * <p>
 * Authenticated with the shared secret {@code sluice.webhook.secret}: GitHub's {@code X-Hub-Signature-256}
 * or GitLab's {@code X-Gitlab-Token}; anything else is answered 401 and triggers nothing. Without a
 * secret the endpoint answers 404, as if it did not exist: an unauthenticated trigger would let anyone
 * make the operator fetch at will. Answers never repeat a secret or a header.
 * <p>
 * Under leader election only the leader acts on a push; another instance answers an authentic push with
 * 503 (and {@code Retry-After}) and triggers nothing, so the Git host records a failed delivery instead
 * of a push silently dropped. Polling picks the commit up either way.
 * <p>
 * An authentic delivery whose id ({@code X-GitHub-Delivery}, {@code X-Gitlab-Event-UUID}) was acted on
 * among the last few thousand is answered 202 and triggers nothing: a captured delivery cannot be
 * replayed to force fetches. The signature covers the body only, so this stops replays of a delivery
 * as captured, not a sender that holds the secret.
 */
@Path("/webhooks/git")
public class GitWebhookResource {
    private static final Logger LOG = Logger.getLogger(GitWebhookResource.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> GITHUB_PUSH_EVENTS = Set.of("push");
    private static final Set<String> GITLAB_PUSH_EVENTS = Set.of("Push Hook", "Tag Push Hook");
    private static final int RECENT_DELIVERIES = 4096;

    private final Optional<PushAuthentication> authentication;
    private final GitSource git;
    private final Event<GitPushed> pushed;
    private final AtomicBoolean toldDisabled = new AtomicBoolean();
    private final Leadership leadership;
    private final long retryAfterSeconds;
    /** The ids of the last deliveries acted on, so a captured delivery sent again triggers nothing. */
    private final Map<String, Boolean> recentDeliveries = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > RECENT_DELIVERIES;
        }
    };

    public GitWebhookResource(SluiceConfig config, GitSource git, Event<GitPushed> pushed, Leadership leadership) {
        this.authentication = config.webhook().secret().filter(s -> !s.isBlank()).map(PushAuthentication::new);
        this.git = git;
        this.pushed = pushed;
        this.leadership = leadership;
        this.retryAfterSeconds = Math.max(1, config.leaderElection().leaseDuration().toSeconds());
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
        if (authentication.isEmpty()) {
            if (toldDisabled.compareAndSet(false, true)) {
                LOG.info("a Git push webhook arrived, but webhooks are disabled (sluice.webhook.secret is not set); "
                        + "answering 404 and relying on polling");
            }
            return Response.status(Response.Status.NOT_FOUND).build();
        }
        if (!authentication.get().authentic(body, githubSignature, gitlabToken)) {
            LOG.debug("refused a Git push webhook: signature or token missing or wrong");
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
        String delivery = githubDelivery != null ? githubDelivery : gitlabDelivery;
        if (delivery != null && !firstTime(delivery)) {
            LOG.debug("ignored a Git push webhook whose delivery id was already handled");
            return answer(Response.Status.ACCEPTED, "{\"repositories\":0,\"ignored\":\"delivery already handled\"}");
        }
        Set<String> repositories;
        try {
            repositories = PushPayload.repositoryKeys(JSON.readTree(body));
        } catch (IOException e) {
            return answer(Response.Status.BAD_REQUEST, "{\"error\":\"the body is not JSON\"}");
        }
        repositories.forEach(git::invalidate);
        if (!repositories.isEmpty()) {
            LOG.infof("Git push reported for %s", String.join(", ", repositories));
            pushed.fire(new GitPushed(repositories));
        }
        return answer(Response.Status.ACCEPTED, "{\"repositories\":" + repositories.size() + "}");
    }

    /** Records an authentic delivery's id; false when it was seen among the last {@value #RECENT_DELIVERIES}. */
    private boolean firstTime(String delivery) {
        String id = delivery.length() > 128 ? delivery.substring(0, 128) : delivery;
        synchronized (recentDeliveries) {
            return recentDeliveries.put(id, Boolean.TRUE) == null;
        }
    }

    private static Response answer(Response.Status status, String json) {
        return Response.status(status).entity(json).type(MediaType.APPLICATION_JSON_TYPE).build();
    }
}
