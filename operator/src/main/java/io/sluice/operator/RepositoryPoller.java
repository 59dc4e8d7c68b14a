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

    /** Replaced, never changed, by {@link #track}: a poll that drops an entry drops only the one it looked at. */
    private static final class Entry {
        final GitRequest request;
        volatile Instant nextPoll;
        final AtomicBoolean polling;

        Entry(GitRequest request, Instant nextPoll, AtomicBoolean polling) {
            this.request = request;
            this.nextPoll = nextPoll;
            this.polling = polling;
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
    void track(GitRequest request) {
        Key key = Key.of(request.url(), request.ref());
        entries.compute(key, (k, entry) -> entry == null
                ? new Entry(request, clock.instant().plus(request.maxAge()), new AtomicBoolean())
                : new Entry(request, entry.nextPoll, entry.polling));
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
            if (!entry.nextPoll.isAfter(now) && entry.polling.compareAndSet(false, true)) {
                executor.execute(() -> poll(e.getKey(), entry));
                started++;
            }
        }
        return started;
    }

    /** Polls one repository now; wakes the Rollouts whose source moved or failed. */
    private void poll(Key key, Entry entry) {
        Duration interval = entry.request.maxAge();
        try {
            Optional<Duration> shortest = rollouts.get().filter(r -> reads(r, key)).map(RepositoryPoller::interval)
                    .min(Comparator.naturalOrder());
            if (shortest.isEmpty()) {
                entries.remove(key, entry);
                return;
            }
            interval = shortest.get();
            GitRequest latest = entry.request;
            GitRequest request = new GitRequest(latest.url(), latest.ref(), latest.path(), latest.credentials(), interval);
            GitSnapshot snapshot;
            try {
                snapshot = git.read(request);
            } catch (SourceException e) {
                // Rollouts that still show their source as ready learn of the problem now; the others
                // already retry on their own (sluice.retry-interval).
                LOG.debugf("polling %s (%s): %s", key.repository(), key.ref(), e.getMessage());
                rollouts.get().filter(r -> reads(r, key) && sourceReady(r)).forEach(wake);
                return;
            }
            String revision = snapshot.revision();
            rollouts.get().filter(r -> reads(r, key) && !revision.equals(readRevision(r))).forEach(wake);
        } catch (RuntimeException e) {
            LOG.warnf(e, "polling %s (%s) failed", key.repository(), key.ref());
        } finally {
            Instant next = clock.instant().plus(interval);
            entries.computeIfPresent(key, (k, current) -> {
                current.nextPoll = next;
                return current;
            });
            entry.polling.set(false);
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
