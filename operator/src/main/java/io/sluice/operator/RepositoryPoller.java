package io.sluice.operator;

import io.quarkus.scheduler.Scheduled;
import io.sluice.api.v1alpha1.Condition;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.core.ConditionTypes;
import io.sluice.core.Durations;
import io.sluice.source.GitRequest;
import io.sluice.source.GitSnapshot;
import io.sluice.source.GitSource;
import io.sluice.source.RepositoryUrls;
import io.sluice.source.SourceException;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Polls each repository and ref that Rollouts read, once per interval, and wakes a Rollout only when
 * what it reads moved: its repository has a new commit, or can no longer be read. Without it every
 * Rollout would be reconciled in full every interval just to find out that nothing changed: with
 * 10,000 Rollouts on a handful of repositories, an idle minute now costs a handful of fetches
 * instead of 10,000 reconciles. Each Rollout is still looked at every {@code sluice.resync-interval}
 * as a safety net (for changes no event reports, such as a deleted Secret or analysis template).
 *
 * <p>The reconciler registers what it read after each successful read; repositories no Rollout
 * reads any more are dropped. Only the leader reconciles, so only the leader polls.
 */
@ApplicationScoped
public class RepositoryPoller {
    private static final Logger LOG = Logger.getLogger(RepositoryPoller.class);

    /** A repository (any URL form) and ref. */
    record Key(String repository, String ref) {
        static Key of(String url, String ref) {
            return new Key(RepositoryUrls.normalize(url), ref);
        }
    }

    /**
     * A repository polled: the latest request (replaced, never changed, by {@link #track}, so that a
     * poll that drops an entry drops only the one it looked at) and the polling state it carries over.
     */
    private record Entry(GitRequest request, State state) {
    }

    /** What the poller knows of one repository and ref. */
    private static final class State {
        volatile Instant nextPoll;
        /** The commit the poller last found (at first, the one the first reader read). */
        volatile String lastSeen;
        /** The last poll failed (its readers were told once). */
        volatile boolean failing;
        /** A push webhook woke every reader since the last poll: a moved commit needs no wake-up from the poller. */
        volatile boolean pushed;
        final AtomicBoolean polling = new AtomicBoolean();

        State(Instant nextPoll, String lastSeen) {
            this.nextPoll = nextPoll;
            this.lastSeen = lastSeen;
        }
    }

    private final GitSource git;
    private final Clock clock;
    private final Map<Key, Entry> entries = new ConcurrentHashMap<>();
    private final ExecutorService fetches = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("sluice-repository-poll-", 0).factory());
    private volatile Supplier<Stream<Rollout>> rollouts = Stream::empty;
    private volatile Consumer<Rollout> wake = r -> { };

    public RepositoryPoller(GitSource git, Clock clock) {
        this.git = git;
        this.clock = clock;
        git.onFetchEnded(this::fetchEnded);
    }

    /**
     * A fetch that a reconcile did not wait for ended: the Rollouts reading that repository are
     * reconciled again, to read what it fetched (or report why it failed).
     */
    void fetchEnded(String repository) {
        rollouts.get().filter(r -> readsRepository(r, repository)).forEach(wake);
    }

    private static boolean readsRepository(Rollout r, String repository) {
        var gitSpec = r.getSpec() == null || r.getSpec().source == null ? null : r.getSpec().source.git;
        try {
            return gitSpec != null && gitSpec.url != null && RepositoryUrls.normalize(gitSpec.url).equals(repository);
        } catch (IllegalArgumentException blank) {
            return false;
        }
    }

    /** Where the Rollouts are (the controller's cache) and how one is woken (an event for its reconcile). */
    void attach(Supplier<Stream<Rollout>> rollouts, Consumer<Rollout> wake) {
        this.rollouts = rollouts;
        this.wake = wake;
    }

    /**
     * The reconciler read the source with {@code request}: poll that repository and ref from now on,
     * with the latest request's credentials, at the shortest interval of the Rollouts reading it.
     */
    void track(GitRequest request, String revision) {
        Key key = Key.of(request.url(), request.ref());
        entries.compute(key, (k, entry) -> new Entry(request,
                entry == null ? new State(clock.instant().plus(request.maxAge()), revision) : entry.state()));
    }

    /** A push webhook named these repositories (normalized URLs) and woke their Rollouts. */
    void pushed(java.util.Set<String> normalizedUrls) {
        entries.forEach((key, entry) -> {
            if (normalizedUrls.contains(key.repository())) {
                entry.state().pushed = true;
            }
        });
    }

    /** The repositories polled now (for tests and the benchmark's explanation). */
    int tracked() {
        return entries.size();
    }

    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        pollDue(fetches);
    }

    /** Starts a poll, on {@code executor}, of every repository whose interval has passed; returns how many. */
    int pollDue(Executor executor) {
        Instant now = clock.instant();
        int started = 0;
        for (var e : entries.entrySet()) {
            Entry entry = e.getValue();
            if (!entry.state().nextPoll.isAfter(now) && entry.state().polling.compareAndSet(false, true)) {
                executor.execute(() -> poll(e.getKey(), entry));
                started++;
            }
        }
        return started;
    }

    /**
     * Polls one repository now. When its commit moved since the last poll (and no push woke its
     * readers meanwhile), wakes the Rollouts that do not show that commit yet; when it became
     * unreadable, wakes those that still show their source as ready. Nobody else: a Rollout that has
     * not read the repository yet, or is already being woken, gets no duplicate wake-up.
     */
    private void poll(Key key, Entry entry) {
        State state = entry.state();
        Duration interval = entry.request().maxAge();
        try {
            Optional<Duration> shortest = rollouts.get().filter(r -> reads(r, key)).map(RepositoryPoller::interval)
                    .min(Comparator.naturalOrder());
            if (shortest.isEmpty()) {
                entries.remove(key, entry);
                return;
            }
            interval = shortest.get();
            GitRequest latest = entry.request();
            GitRequest request = new GitRequest(latest.url(), latest.ref(), latest.path(), latest.credentials(), interval);
            GitSnapshot snapshot;
            try {
                snapshot = git.readWaiting(request); // on the poller's own thread: it may wait for the fetch
            } catch (SourceException e) {
                // Rollouts that still show their source as ready learn of the problem now; the others
                // already retry on their own (sluice.retry-interval).
                LOG.debugf("polling %s (%s): %s", key.repository(), key.ref(), e.getMessage());
                if (!state.failing) {
                    state.failing = true;
                    rollouts.get().filter(r -> reads(r, key) && sourceReady(r)).forEach(wake);
                }
                return;
            }
            String revision = snapshot.revision();
            boolean moved = !revision.equals(state.lastSeen) || state.failing;
            if (moved && !state.pushed) {
                rollouts.get().filter(r -> reads(r, key) && !revision.equals(readRevision(r))).forEach(wake);
            }
            state.lastSeen = revision;
            state.failing = false;
            state.pushed = false;
        } catch (RuntimeException e) {
            LOG.warnf(e, "polling %s (%s) failed", key.repository(), key.ref());
        } finally {
            state.nextPoll = clock.instant().plus(interval);
            state.polling.set(false);
        }
    }

    private static Duration interval(Rollout r) {
        try {
            return Durations.parse(r.getSpec().source.git.intervalOrDefault());
        } catch (RuntimeException unparseable) {
            return Duration.ofMinutes(1); // SpecCheck reports it on the Rollout; poll at the default meanwhile
        }
    }

    private static boolean reads(Rollout r, Key key) {
        var gitSpec = r.getSpec() == null || r.getSpec().source == null ? null : r.getSpec().source.git;
        return gitSpec != null && gitSpec.url != null && key.equals(Key.of(gitSpec.url, gitSpec.refOrDefault()));
    }

    private static String readRevision(Rollout r) {
        return r.getStatus() == null || r.getStatus().source == null ? null : r.getStatus().source.revision;
    }

    private static boolean sourceReady(Rollout r) {
        return r.getStatus() != null && r.getStatus().condition(ConditionTypes.SOURCE_READY)
                .map(c -> Condition.TRUE.equals(c.status)).orElse(false);
    }

    @PreDestroy
    void stop() {
        fetches.shutdownNow();
    }
}
