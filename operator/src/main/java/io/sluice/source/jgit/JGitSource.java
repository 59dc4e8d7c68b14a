package io.sluice.source.jgit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.sluice.config.SluiceConfig;
import io.sluice.source.GitCredentials;
import io.sluice.source.GitRequest;
import io.sluice.source.GitSnapshot;
import io.sluice.source.GitSource;
import io.sluice.source.RepositoryUrls;
import io.sluice.source.SourceException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.SshException;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.errors.UnsupportedCredentialItem;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.CredentialItem;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.PathFilter;
import org.eclipse.jgit.util.FileUtils;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jakarta.annotation.PreDestroy;
import org.eclipse.jgit.transport.TagOpt;
import java.nio.file.FileVisitResult;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Comparator;
import java.util.HashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Git over JGit, with one bare mirror per repository and credentials, shared by every Rollout
 * that reads it. A ref of a mirror is fetched at most once per {@code minFetchInterval} (sooner after
 * {@link #invalidate}); concurrent readers of the same ref wait for one fetch instead of starting
 * their own. Mirrors nobody has read for {@code mirrorIdleTimeout} are deleted, bounding disk use.
 *
 * <p>Fetches run on threads of their own (virtual threads, at most {@code maxConcurrentFetches} at
 * once, one per mirror at a time), never on the caller's: {@link #read} waits at most {@code readWait}
 * for one, then goes on with the commit the mirror already has (or reports that the first fetch is
 * still running), and {@link #onFetchEnded} listeners hear when such a fetch ends. Every fetch has a
 * deadline for the whole operation, {@code timeout}: then it is stopped (its thread interrupted, which
 * closes its socket) and reported as {@code GitTimeout}, however slowly the server kept trickling.
 * No lock is held while waiting on the network.
 *
 * <p>A fetch takes only what the Rollout reads: the one branch or tag it names, at depth
 * {@code fetchDepth} (a commit id fetches every branch and tag, with history). Before a fetch, the
 * cache is brought under {@code cacheMaxBytes} by deleting the least recently read idle mirrors;
 * when that is not enough the fetch is refused ({@code GitCacheFull}) rather than fill the volume.
 *
 * <p>Mirrors are keyed by URL and credentials together, so a Rollout without credentials can never
 * read what another tenant's credentials fetched.
 *
 * <p>HTTPS uses the Secret's username and password; SSH uses the Secret's key and trusts only the host
 * keys in its known_hosts (see {@link SshAccess}).
 */
@ApplicationScoped
public class JGitSource implements GitSource {
    private static final Logger LOG = Logger.getLogger(JGitSource.class);
    private static final Pattern COMMIT_ID = Pattern.compile("^[0-9a-f]{40}$");
    private static final Pattern URL_USERINFO = Pattern.compile("(?<=://)[^/@\\s]+@");
    private static final long MAX_FILE_BYTES = 1024 * 1024;
    private static final String TRASH_PREFIX = ".evicted-";
    /** Below the chart's 2Gi emptyDir for the cache, so the operator refuses a fetch before the kubelet evicts the pod. */
    public static final long DEFAULT_CACHE_MAX_BYTES = 1536L * 1024 * 1024;
    public static final int DEFAULT_MAX_CONCURRENT_FETCHES = 16;

    /**
     * @param cacheDir             where the mirrors live, one directory each
     * @param timeout              deadline of a whole fetch (and of each read within it)
     * @param minFetchInterval     a ref is fetched at most this often unless invalidated
     * @param mirrorIdleTimeout    a mirror nobody read for this long is deleted by {@link #evictIdle()}
     * @param readWait             how long {@link #read} waits for a fetch before going on without it
     * @param fetchDepth           commits of history fetched for a branch or tag; 0: all
     * @param cacheMaxBytes        disk the mirrors may use in all, checked before each fetch
     * @param maxConcurrentFetches fetches running at once, over all repositories
     */
    public record Settings(Path cacheDir, Duration timeout, Duration minFetchInterval, Duration mirrorIdleTimeout,
                           ManifestLimits limits, Duration readWait, int fetchDepth, long cacheMaxBytes,
                           int maxConcurrentFetches) {
        public Settings(Path cacheDir, Duration timeout, Duration minFetchInterval, Duration mirrorIdleTimeout) {
            this(cacheDir, timeout, minFetchInterval, mirrorIdleTimeout, ManifestLimits.DEFAULT);
        }

        /** Readers wait for a fetch up to its deadline, as a caller of its own thread wants. */
        public Settings(Path cacheDir, Duration timeout, Duration minFetchInterval, Duration mirrorIdleTimeout,
                        ManifestLimits limits) {
            this(cacheDir, timeout, minFetchInterval, mirrorIdleTimeout, limits, timeout, 1, DEFAULT_CACHE_MAX_BYTES,
                    DEFAULT_MAX_CONCURRENT_FETCHES);
        }

        public Settings withReadWait(Duration wait) {
            return new Settings(cacheDir, timeout, minFetchInterval, mirrorIdleTimeout, limits, wait, fetchDepth,
                    cacheMaxBytes, maxConcurrentFetches);
        }

        public Settings withCacheMaxBytes(long max) {
            return new Settings(cacheDir, timeout, minFetchInterval, mirrorIdleTimeout, limits, readWait, fetchDepth,
                    max, maxConcurrentFetches);
        }
    }

    /**
     * What one revision's folder may hold, checked before its content is read: a small repository
     * can name one large blob hundreds of times, so the per-file limit alone does not bound memory.
     *
     * @param maxFiles YAML files under the path
     * @param maxBytes their total size
     */
    public record ManifestLimits(int maxFiles, long maxBytes) {
        public static final ManifestLimits DEFAULT = new ManifestLimits(1000, 16L * 1024 * 1024);
    }

    private final Settings settings;
    private final Clock clock;
    private final Map<String, Mirror> mirrors = new ConcurrentHashMap<>();
    private final Counter fetchesSucceeded;
    private final Counter fetchesFailed;
    private final Semaphore fetchSlots;
    /** Ends fetches at their deadline; its tasks never block. */
    private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("sluice-git-deadlines").factory());
    private final List<Consumer<String>> fetchEndedListeners = new CopyOnWriteArrayList<>();

    @Inject
    public JGitSource(SluiceConfig config, Clock clock, MeterRegistry meters) {
        this(new Settings(config.git().cacheDir(), config.git().timeout(), config.git().minFetchInterval(),
                config.git().mirrorIdleTimeout(),
                new ManifestLimits(config.git().maxManifestFiles(), config.git().maxManifestBytes()),
                config.git().readWait(), config.git().fetchDepth(), config.git().cacheMaxBytes(),
                config.git().maxConcurrentFetches()), clock, meters);
    }

    public JGitSource(Settings settings, Clock clock, MeterRegistry meters) {
        this.settings = settings;
        this.clock = clock;
        this.fetchSlots = new Semaphore(Math.max(1, settings.maxConcurrentFetches()));
        // No repository label: the number of repositories is unbounded, the number of outcomes is not.
        this.fetchesSucceeded = fetchCounter(meters, "success");
        this.fetchesFailed = fetchCounter(meters, "failure");
    }

    private static Counter fetchCounter(MeterRegistry meters, String outcome) {
        return Counter.builder("sluice.git.fetches")
                .description("Fetches of the shared Git mirrors from their Git servers")
                .tag("outcome", outcome)
                .register(meters);
    }

    @PreDestroy
    void stop() {
        deadlines.shutdownNow();
    }

    /** What is known of one ref of a mirror; guarded by the mirror's monitor. */
    private static final class RefState {
        Instant lastFetch;
        /** The last fetch's failure, replayed to readers for minFetchInterval instead of each fetching again. */
        SourceException lastFailure;
        Instant failedAt;
        /** Set by {@link #invalidate}; cleared when a fetch starts. */
        boolean stale;
        /** The fetch of this ref now running, until its thread ends. */
        Fetch running;
    }

    /** One fetch: its outcome is known at the latest at its deadline, even if its thread lingers. */
    private static final class Fetch {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final long startedNanos = System.nanoTime();
        final Instant startedAt;
        volatile Thread thread;
        volatile Transport transport;
        /** A reader went on without waiting for the end: tell the listeners when it ends. */
        volatile boolean deferred;

        Fetch(Instant startedAt) {
            this.startedAt = startedAt;
        }
    }

    private final class Mirror {
        final String key;
        final Path dir;
        /** {@link RepositoryUrls#normalize} of the URL, to find the mirror when its repository is invalidated. */
        final String repository;
        /** Readers and fetches using the mirror now; -1 once evicted (then it is never used again). */
        final AtomicInteger users = new AtomicInteger();
        /** One fetch writes into the mirror at a time. */
        final Semaphore writer = new Semaphore(1);
        final AtomicLong fetches = new AtomicLong();
        final Map<String, RefState> refs = new HashMap<>();
        volatile Instant lastUsed = clock.instant();
        boolean initialized;

        Mirror(String key, String repository) {
            this.key = key;
            this.dir = settings.cacheDir().resolve(key);
            this.repository = repository;
        }

        boolean acquire() {
            while (true) {
                int now = users.get();
                if (now < 0) {
                    return false;
                }
                if (users.compareAndSet(now, now + 1)) {
                    return true;
                }
            }
        }

        void release() {
            users.decrementAndGet();
        }
    }

    /**
     * Calls {@code listener} with the repository key ({@link RepositoryUrls#normalize}) when a fetch ends
     * that a reader did not wait for, so that its Rollouts can be read again.
     */
    @Override
    public void onFetchEnded(Consumer<String> listener) {
        fetchEndedListeners.add(listener);
    }

    @Override
    public GitSnapshot read(GitRequest request) throws SourceException {
        return read(request, settings.readWait());
    }

    /** Waits for a needed fetch to its end or deadline: for callers on threads of their own (the poller). */
    @Override
    public GitSnapshot readWaiting(GitRequest request) throws SourceException {
        return read(request, settings.timeout());
    }

    private GitSnapshot read(GitRequest request, Duration wait) throws SourceException {
        String key = mirrorKey(request);
        String repository = RepositoryUrls.normalize(request.url());
        while (true) {
            Mirror mirror = mirrors.computeIfAbsent(key, k -> new Mirror(k, repository));
            if (!mirror.acquire()) {
                continue; // evicted after this reader found it: its entry is gone, the next lookup makes a new one
            }
            try {
                mirror.lastUsed = clock.instant();
                return readAcquired(mirror, request, wait);
            } finally {
                mirror.release();
            }
        }
    }

    private GitSnapshot readAcquired(Mirror mirror, GitRequest request, Duration wait) throws SourceException {
        try (Git git = open(mirror)) {
            Repository repo = git.getRepository();
            boolean known = known(repo, request.ref());
            Duration maxAge = request.maxAge().compareTo(settings.minFetchInterval()) > 0
                    ? request.maxAge() : settings.minFetchInterval();
            Fetch fetch;
            SourceException lastFailure;
            synchronized (mirror) {
                RefState ref = mirror.refs.computeIfAbsent(request.ref(), r -> new RefState());
                Instant now = clock.instant();
                lastFailure = ref.lastFailure;
                if (ref.running == null && lastFailure != null && ref.failedAt.plus(settings.minFetchInterval()).isAfter(now)) {
                    // A server that just failed (maybe after a long timeout) is not asked again by every reader.
                    throw copy(lastFailure);
                }
                boolean fresh = ref.lastFetch != null && ref.lastFetch.plus(maxAge).isAfter(now);
                if (ref.running == null && (!fresh || ref.stale || !known)) {
                    // Cleared before fetching, so that a push reported during this fetch causes the next one.
                    ref.stale = false;
                    ref.running = startFetch(mirror, ref, request);
                }
                fetch = ref.running;
            }
            // Waiting as long as the fetch may take means waiting for its end, which its deadline bounds.
            Duration waitFor = fetch == null || wait.compareTo(settings.timeout()) < 0 ? wait
                    : Duration.ofNanos(remaining(fetch)).plusSeconds(2);
            if (fetch != null && !awaitEnd(fetch, waitFor)) {
                fetch.deferred = true;
                if (!fetch.done.isDone()) {
                    if (lastFailure != null) {
                        throw copy(lastFailure); // still failing until the retry succeeds
                    }
                    if (!known) {
                        throw new SourceException("GitFetching", "fetching " + redact(request.url()) + " (ref '"
                                + request.ref() + "'), started " + seconds(Duration.ofNanos(System.nanoTime()
                                - fetch.startedNanos)) + " ago; it ends by its deadline (sluice.git.timeout, "
                                + seconds(settings.timeout()) + ") and the Rollout is read again then");
                    }
                    return snapshot(repo, request); // the commit fetched last time, while the fetch goes on
                }
            }
            if (fetch != null) {
                try {
                    fetch.done.join();
                } catch (CompletionException e) {
                    throw e.getCause() instanceof SourceException se ? copy(se)
                            : new SourceException("GitUnreachable", "cannot fetch " + redact(request.url()) + ": "
                                    + withoutServerText(redact(rootMessage(e.getCause()))), e.getCause());
                }
            }
            return snapshot(repo, request);
        } catch (IOException e) {
            throw new SourceException("GitCacheError", "cannot use the local Git mirror: " + redact(e.getMessage()), e);
        }
    }

    /** Whether the fetch ended within {@code wait}; an interrupted caller stops waiting. */
    private static boolean awaitEnd(Fetch fetch, Duration wait) {
        try {
            fetch.done.get(Math.max(0, wait.toMillis()), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    private static SourceException copy(SourceException e) {
        return new SourceException(e.reason(), e.getMessage());
    }

    /** Starts the fetch of one ref on a thread of its own; called with the mirror's monitor held, so it never blocks. */
    private Fetch startFetch(Mirror mirror, RefState ref, GitRequest request) {
        Fetch fetch = new Fetch(clock.instant());
        mirror.fetches.incrementAndGet();
        mirror.users.incrementAndGet(); // the caller holds a use, so the mirror is not evicted: the fetch keeps one too
        Thread thread = Thread.ofVirtual().name("sluice-git-fetch-" + mirror.key.substring(0, 8)).unstarted(() -> {
            try {
                runFetch(mirror, fetch, request);
            } finally {
                ended(mirror, ref, fetch, request);
            }
        });
        fetch.thread = thread;
        deadlines.schedule(() -> expire(mirror, ref, fetch, request), settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
        thread.start();
        return fetch;
    }

    private void runFetch(Mirror mirror, Fetch fetch, GitRequest request) {
        boolean slot = false;
        boolean writer = false;
        try {
            slot = fetchSlots.tryAcquire(remaining(fetch), TimeUnit.NANOSECONDS);
            if (!slot) {
                throw new SourceException("GitTimeout", "cannot fetch " + redact(request.url()) + ": no fetch could "
                        + "start within " + seconds(settings.timeout()) + " (sluice.git.timeout), all "
                        + settings.maxConcurrentFetches() + " fetch slots (sluice.git.max-concurrent-fetches) were busy");
            }
            writer = mirror.writer.tryAcquire(remaining(fetch), TimeUnit.NANOSECONDS);
            if (!writer) {
                throw new SourceException("GitTimeout", "cannot fetch " + redact(request.url()) + ": another fetch of "
                        + "the repository did not end within " + seconds(settings.timeout()) + " (sluice.git.timeout)");
            }
            ensureCacheRoom(mirror);
            try (Git git = open(mirror)) {
                fetch(git, mirror, fetch, request);
            }
            fetch.done.complete(null);
        } catch (SourceException e) {
            fetch.done.completeExceptionally(e);
        } catch (InterruptedException e) {
            fetch.done.completeExceptionally(timedOut(request));
        } catch (IOException | RuntimeException e) {
            fetch.done.completeExceptionally(new SourceException("GitCacheError", "cannot use the local Git mirror: "
                    + redact(e.getMessage()), e));
        } finally {
            if (writer) {
                mirror.writer.release();
            }
            if (slot) {
                fetchSlots.release();
            }
        }
    }

    /** Nanoseconds left before the fetch's deadline. */
    private long remaining(Fetch fetch) {
        return Math.max(0, fetch.startedNanos + settings.timeout().toNanos() - System.nanoTime());
    }

    /** At the deadline: the fetch fails for its readers now, and its thread is stopped. */
    private void expire(Mirror mirror, RefState ref, Fetch fetch, GitRequest request) {
        if (!fetch.done.completeExceptionally(timedOut(request))) {
            return;
        }
        fetchesFailed.increment();
        synchronized (mirror) {
            record(ref, fetch);
        }
        LOG.infof("stopped the fetch of %s at its deadline (%s)", redact(request.url()), seconds(settings.timeout()));
        Thread thread = fetch.thread;
        if (thread != null) {
            thread.interrupt(); // on a virtual thread this closes a socket it is blocked on
        }
        Transport transport = fetch.transport;
        if (transport != null) {
            try {
                transport.close();
            } catch (RuntimeException ignored) {
                // stopping is best effort; its readers already have their answer
            }
        }
        if (fetch.deferred) {
            fetchEnded(mirror);
        }
    }

    /** The fetch's thread ended (maybe long after its deadline). */
    private void ended(Mirror mirror, RefState ref, Fetch fetch, GitRequest request) {
        boolean deferred;
        synchronized (mirror) {
            if (!fetch.done.isDone()) {
                fetch.done.completeExceptionally(timedOut(request)); // cannot happen: runFetch always completes it
            }
            record(ref, fetch);
            if (ref.running == fetch) {
                ref.running = null;
            }
            deferred = fetch.deferred;
        }
        mirror.release();
        if (deferred && !isTimeout(fetch)) {
            fetchEnded(mirror); // (a fetch stopped at its deadline told them then)
        }
    }

    private static boolean isTimeout(Fetch fetch) {
        try {
            fetch.done.join();
            return false;
        } catch (CompletionException e) {
            return e.getCause() instanceof SourceException se && "GitTimeout".equals(se.reason());
        }
    }

    private void record(RefState ref, Fetch fetch) {
        try {
            fetch.done.join();
            ref.lastFailure = null;
            if (ref.lastFetch == null || ref.lastFetch.isBefore(fetch.startedAt)) {
                ref.lastFetch = fetch.startedAt;
            }
        } catch (CompletionException e) {
            ref.stale = true;
            ref.lastFailure = e.getCause() instanceof SourceException se ? se
                    : new SourceException("GitUnreachable", String.valueOf(e.getCause().getMessage()));
            ref.failedAt = clock.instant();
        }
    }

    private void fetchEnded(Mirror mirror) {
        for (Consumer<String> listener : fetchEndedListeners) {
            try {
                listener.accept(mirror.repository);
            } catch (RuntimeException e) {
                LOG.warnf(e, "a listener of ended Git fetches failed");
            }
        }
    }

    private SourceException timedOut(GitRequest request) {
        return new SourceException("GitTimeout", "cannot fetch " + redact(request.url()) + ": the server did not "
                + "complete the fetch within " + seconds(settings.timeout()) + " (sluice.git.timeout); it was stopped");
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /**
     * Marks every mirror of the repository (any URL form, any credentials) stale, so that its next read
     * fetches even within the minimum fetch interval.
     */
    @Override
    public void invalidate(String url) {
        String repository = RepositoryUrls.normalize(url);
        mirrors.values().stream().filter(m -> m.repository.equals(repository)).forEach(m -> {
            synchronized (m) {
                m.refs.values().forEach(ref -> {
                    ref.stale = true;
                    ref.lastFailure = null; // a push says the server is there: ask it again
                });
            }
        });
    }

    /**
     * How many fetches the mirrors of this repository (any URL form, any credentials) have started, failed
     * ones included. A deleted idle mirror takes its count with it.
     */
    public long fetchCount(String url) {
        String repository = RepositoryUrls.normalize(url);
        return mirrors.values().stream().filter(m -> m.repository.equals(repository))
                .mapToLong(m -> m.fetches.get()).sum();
    }

    /**
     * Deletes the mirrors nobody has read for {@code mirrorIdleTimeout}; a later read clones again.
     * A mirror being read or fetched is skipped (and tried again next time), never waited for.
     */
    @Scheduled(every = "1m", delayed = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public void evictIdle() {
        Instant cutoff = clock.instant().minus(settings.mirrorIdleTimeout());
        for (Mirror mirror : mirrors.values()) {
            if (!mirror.lastUsed.isAfter(cutoff)) {
                evict(mirror, cutoff);
            }
        }
        deleteTrash();
    }

    /**
     * Takes the mirror out of use if nobody uses it and it was not read after {@code cutoff}: under the
     * map's entry lock, its directory is moved aside and its entry removed together, so a reader either
     * used it before or finds a new mirror in a fresh directory. The old directory is deleted afterwards.
     */
    private boolean evict(Mirror mirror, Instant cutoff) {
        Path[] moved = new Path[1];
        mirrors.computeIfPresent(mirror.key, (key, current) -> {
            if (current != mirror || !mirror.users.compareAndSet(0, -1)) {
                return current; // replaced, or in use: skipped
            }
            if (mirror.lastUsed.isAfter(cutoff)) {
                mirror.users.set(0); // read again since the caller looked
                return current;
            }
            try {
                if (Files.exists(mirror.dir)) {
                    Path trash = settings.cacheDir().resolve(TRASH_PREFIX + key + "-" + System.nanoTime());
                    Files.move(mirror.dir, trash, StandardCopyOption.ATOMIC_MOVE);
                    moved[0] = trash;
                }
                return null;
            } catch (IOException e) {
                LOG.warnf("cannot delete the idle Git mirror %s: %s", mirror.dir, e.getMessage());
                mirror.users.set(0);
                return current;
            }
        });
        if (moved[0] == null) {
            return !mirrors.containsValue(mirror) && mirror.users.get() < 0;
        }
        deleteQuietly(moved[0]);
        LOG.debugf("deleted the Git mirror %s, unused since %s", mirror.dir, mirror.lastUsed);
        return true;
    }

    /** Mirrors moved aside by an eviction (or left by a crash) and not deleted yet. */
    private void deleteTrash() {
        if (!Files.isDirectory(settings.cacheDir())) {
            return;
        }
        try (var entries = Files.list(settings.cacheDir())) {
            entries.filter(p -> p.getFileName().toString().startsWith(TRASH_PREFIX)).forEach(JGitSource::deleteQuietly);
        } catch (IOException e) {
            LOG.debugf("cannot list %s: %s", settings.cacheDir(), e.getMessage());
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            FileUtils.delete(dir.toFile(), FileUtils.RECURSIVE | FileUtils.RETRY | FileUtils.SKIP_MISSING);
        } catch (IOException e) {
            LOG.warnf("cannot delete %s: %s", dir, e.getMessage());
        }
    }

    /**
     * Before a fetch writes to disk: when the cache holds {@code cacheMaxBytes} or more, deletes the least
     * recently read idle mirrors until it does not; if that is not enough, refuses the fetch.
     */
    private void ensureCacheRoom(Mirror fetching) throws SourceException {
        long used = diskUsage(settings.cacheDir());
        if (used < settings.cacheMaxBytes()) {
            return;
        }
        deleteTrash();
        List<Mirror> idle = mirrors.values().stream().filter(m -> m != fetching)
                .sorted(Comparator.comparing((Mirror m) -> m.lastUsed)).toList();
        for (Mirror m : idle) {
            if (evict(m, Instant.MAX)) {
                used = diskUsage(settings.cacheDir());
                if (used < settings.cacheMaxBytes()) {
                    return;
                }
            }
        }
        throw new SourceException("GitCacheFull", "the Git cache holds " + used + " bytes, at or over its limit of "
                + settings.cacheMaxBytes() + " (sluice.git.cache-max-bytes), and no idle mirror is left to delete; "
                + "the repository is not fetched until there is room");
    }

    private static long diskUsage(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        long[] total = new long[1];
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    total[0] += attrs.size();
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE; // deleted meanwhile
                }
            });
        } catch (IOException e) {
            LOG.debugf("cannot measure %s: %s", dir, e.getMessage());
        }
        return total[0];
    }

    private Git open(Mirror mirror) throws IOException, SourceException {
        synchronized (mirror) { // local disk only: two first readers must not both create it
            if (mirror.initialized || Files.isDirectory(mirror.dir.resolve("objects"))) {
                mirror.initialized = true;
                return Git.open(mirror.dir.toFile());
            }
            Files.createDirectories(mirror.dir);
            try {
                Git git = Git.init().setBare(true).setDirectory(mirror.dir.toFile()).call();
                mirror.initialized = true;
                return git;
            } catch (GitAPIException e) {
                throw new SourceException("GitCacheError", "cannot create a local Git mirror: " + redact(e.getMessage()), e);
            }
        }
    }

    /**
     * Fetches the ref the request names, and only it: a branch (or, if there is none of that name, a tag)
     * at {@code fetchDepth}; a full ref name as it is; a commit id fetches every branch and tag with their
     * history, as the commit may be anywhere in it.
     */
    private void fetch(Git git, Mirror mirror, Fetch running, GitRequest request) throws SourceException {
        String ref = request.ref();
        try {
            if (COMMIT_ID.matcher(ref).matches()) {
                fetchSpecs(git, running, request, false, new RefSpec("+refs/heads/*:refs/heads/*"),
                        new RefSpec("+refs/tags/*:refs/tags/*"));
                return;
            }
            if (ref.startsWith("refs/")) {
                fetchSpecs(git, running, request, true, new RefSpec("+" + ref + ":" + ref));
                return;
            }
        } catch (NoSuchRemoteRef e) {
            throw new SourceException("RefNotFound", "ref '" + ref + "' does not exist in " + redact(request.url()));
        }
        try {
            fetchSpecs(git, running, request, true, new RefSpec("+refs/heads/" + ref + ":refs/heads/" + ref));
        } catch (NoSuchRemoteRef branch) {
            try {
                fetchSpecs(git, running, request, true, new RefSpec("+refs/tags/" + ref + ":refs/tags/" + ref));
            } catch (NoSuchRemoteRef tag) {
                throw new SourceException("RefNotFound", "ref '" + ref + "' is neither a branch nor a tag of "
                        + redact(request.url()));
            }
        }
    }

    private void fetchSpecs(Git git, Fetch running, GitRequest request, boolean shallow, RefSpec... specs)
            throws SourceException, NoSuchRemoteRef {
        GitCredentials credentials = request.credentials().orElse(null);
        // HTTP gets a provider even without credentials, to tell "credentials required" from other failures.
        SecretCredentialsProvider https = credentials instanceof GitCredentials.Ssh ? null
                : new SecretCredentialsProvider(credentials instanceof GitCredentials.Https h ? h : null);
        try (SshAccess ssh = credentials instanceof GitCredentials.Ssh s ? SshAccess.of(s, settings.cacheDir()) : null) {
            var fetch = git.fetch()
                    .setRemote(request.url())
                    .setRefSpecs(specs)
                    .setTagOpt(TagOpt.NO_TAGS)
                    .setRemoveDeletedRefs(true)
                    .setTimeout((int) Math.max(1, settings.timeout().toSeconds()))
                    .setTransportConfigCallback(transport -> {
                        running.transport = transport;
                        useCredentials(transport, credentials, ssh);
                    });
            if (shallow && settings.fetchDepth() > 0) {
                fetch.setDepth(settings.fetchDepth());
            } else if (!shallow && isShallow(git.getRepository())) {
                fetch.setUnshallow(true); // a commit id may be anywhere in the history
            }
            fetch.setCredentialsProvider(https);
            try {
                fetch.call();
                fetchesSucceeded.increment();
            } catch (CredentialsMismatch e) {
                fetchesFailed.increment();
                throw new SourceException(e.reason, e.getMessage());
            } catch (GitAPIException | RuntimeException e) {
                if (running.done.isDone()) {
                    throw timedOut(request); // stopped at the deadline: what it threw then is beside the point
                }
                if (rootMessage(e).contains("Remote does not have")) {
                    throw new NoSuchRemoteRef();
                }
                fetchesFailed.increment();
                throw failure(request, e, ssh, https);
            }
        }
    }

    private static boolean isShallow(Repository repo) {
        try {
            return !repo.getObjectDatabase().getShallowCommits().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    /** The server has no such ref. */
    private static final class NoSuchRemoteRef extends Exception {
        NoSuchRemoteRef() {
            super(null, null, false, false);
        }
    }

    /**
     * Hands the Secret's SSH setup to an SSH transport, and refuses a transport the credentials do not fit.
     * An SSH transport without it would fall back to JGit's default, which reads the operator's ~/.ssh.
     */
    private static void useCredentials(Transport transport, GitCredentials credentials, SshAccess ssh) {
        if (transport instanceof SshTransport sshTransport) {
            if (ssh == null) {
                throw credentials == null
                        ? new CredentialsMismatch("InvalidSpec", "an SSH URL needs source.git.secretRef naming a "
                                + "Secret with 'identity' (a private key) and 'known_hosts'")
                        : new CredentialsMismatch("InvalidSecret", "the Secret holds HTTPS credentials ('password') "
                                + "but the URL is an SSH URL, which needs 'identity' and 'known_hosts'");
            }
            sshTransport.setSshSessionFactory(ssh.sessionFactory());
        } else if (ssh != null) {
            throw new CredentialsMismatch("InvalidSecret", "the Secret holds an SSH key ('identity') but the URL is "
                    + "not an SSH URL (ssh://host/path or user@host:path)");
        }
    }

    /** Credentials that do not fit the URL's transport; raised before anything is sent. */
    private static final class CredentialsMismatch extends RuntimeException {
        final String reason;

        CredentialsMismatch(String reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }

    private static SourceException failure(GitRequest request, Exception e, SshAccess ssh,
            SecretCredentialsProvider https) {
        String cannotFetch = "cannot fetch " + redact(request.url()) + ": ";
        Optional<TrustedHostKeys.Refusal> refusal = ssh == null ? Optional.empty() : ssh.hostKeyRefusal();
        if (refusal.isPresent()) {
            return new SourceException(refusal.get().reason(), cannotFetch + refusal.get().message(), e);
        }
        if (https != null && https.refused && request.credentials().isEmpty()) {
            return new SourceException("GitAuthFailed", cannotFetch + "the server requires credentials: name a Secret "
                    + "with 'username' and 'password' in source.git.secretRef", e);
        }
        if ((https != null && https.refused) || (ssh != null && sshAuthenticationFailed(e))) {
            return new SourceException("GitAuthFailed", cannotFetch + "the server did not accept the credentials "
                    + "from the Secret (not authorized)", e);
        }
        return new SourceException("GitUnreachable", cannotFetch + withoutServerText(redact(rootMessage(e))), e);
    }

    /**
     * JGit quotes what a server answered that is not Git ("invalid advertisement of <its first line>").
     * A Rollout can name any URL, so that text would carry whatever answers there (an internal
     * service, a metadata endpoint) into the Rollout's status and events: it is replaced by what it
     * means, and the whole message is kept short.
     */
    static String withoutServerText(String message) {
        String out = message.replaceAll("invalid advertisement of [^()]*", "an answer that is not from a Git server (is the URL a "
                + "Git repository?) ");
        out = out.replaceAll("received Content-Type [^;()]*", "received another Content-Type ");
        out = out.replaceAll("\\s+\\)", ")").replaceAll("\\(an answer that is not from a Git server \\(is the URL a Git "
                + "repository\\?\\)\\)", "").trim();
        return out.length() > 400 ? out.substring(0, 400) + "..." : out;
    }

    private static boolean sshAuthenticationFailed(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SshException ssh
                    && ssh.getDisconnectCode() == SshConstants.SSH2_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE) {
                return true;
            }
        }
        return false;
    }

    /**
     * The Secret's username and password for HTTP basic authentication, or none. JGit asks for credentials
     * when the server wants some, and resets the provider when the server refuses them; either way this
     * one gives nothing more, and remembers the refusal so that the failure can say so.
     */
    private static final class SecretCredentialsProvider extends CredentialsProvider {
        private final GitCredentials.Https credentials;
        volatile boolean refused;

        /** @param credentials null when the Rollout names no Secret */
        SecretCredentialsProvider(GitCredentials.Https credentials) {
            this.credentials = credentials;
        }

        @Override
        public boolean isInteractive() {
            return false;
        }

        @Override
        public boolean supports(CredentialItem... items) {
            for (CredentialItem item : items) {
                if (!(item instanceof CredentialItem.Username || item instanceof CredentialItem.Password)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public boolean get(URIish uri, CredentialItem... items) throws UnsupportedCredentialItem {
            if (refused || credentials == null) {
                refused = true;
                return false;
            }
            for (CredentialItem item : items) {
                switch (item) {
                    case CredentialItem.Username username -> username.setValue(credentials.username());
                    case CredentialItem.Password password -> password.setValue(credentials.password().toCharArray());
                    default -> throw new UnsupportedCredentialItem(uri, item.getClass().getSimpleName());
                }
            }
            return true;
        }

        @Override
        public void reset(URIish uri) {
            refused = true;
        }
    }

    /** A branch or tag the mirror has, or a commit it holds. */
    private static boolean known(Repository repo, String ref) throws IOException {
        return resolve(repo, ref) != null
                || (COMMIT_ID.matcher(ref).matches() && repo.getObjectDatabase().has(ObjectId.fromString(ref)));
    }

    private GitSnapshot snapshot(Repository repo, GitRequest request) throws IOException, SourceException {
        Ref ref = resolve(repo, request.ref());
        ObjectId commitId;
        String resolvedRef;
        if (ref != null) {
            commitId = ref.getObjectId();
            resolvedRef = ref.getName();
        } else if (COMMIT_ID.matcher(request.ref()).matches() && repo.getObjectDatabase().has(ObjectId.fromString(request.ref()))) {
            commitId = ObjectId.fromString(request.ref());
            resolvedRef = request.ref();
        } else {
            throw new SourceException("RefNotFound", "ref '" + request.ref() + "' is neither a branch, a tag nor a "
                    + "known commit of " + redact(request.url()));
        }
        try (RevWalk walk = new RevWalk(repo)) {
            RevCommit commit = walk.parseCommit(commitId); // peels annotated tags
            return new GitSnapshot(commit.getName(), resolvedRef, readFolder(repo, commit, request.path(), settings.limits()));
        }
    }

    private static Ref resolve(Repository repo, String ref) throws IOException {
        for (String candidate : List.of(ref, "refs/heads/" + ref, "refs/tags/" + ref)) {
            Ref found = candidate.startsWith("refs/") ? repo.exactRef(candidate) : null;
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    private static Map<String, String> readFolder(Repository repo, RevCommit commit, String path, ManifestLimits limits)
            throws IOException, SourceException {
        String folder = normalizeFolder(path);
        Map<String, String> files = new TreeMap<>();
        long totalBytes = 0;
        try (TreeWalk walk = new TreeWalk(repo)) {
            walk.addTree(commit.getTree());
            walk.setRecursive(true);
            if (!folder.isEmpty()) {
                walk.setFilter(PathFilter.create(folder));
            }
            while (walk.next()) {
                String file = walk.getPathString();
                if (file.equals(folder)) {
                    throw new SourceException("PathNotFound", "path '" + folder + "' is a file, not a folder, at commit "
                            + commit.getName().substring(0, 12) + "; name the folder that holds the manifests");
                }
                if (!(file.endsWith(".yaml") || file.endsWith(".yml"))) {
                    continue;
                }
                var loader = repo.open(walk.getObjectId(0));
                if (loader.getSize() > MAX_FILE_BYTES) {
                    throw new SourceException("InvalidManifest", file + " is larger than 1 MiB");
                }
                totalBytes += loader.getSize();
                if (files.size() >= limits.maxFiles() || totalBytes > limits.maxBytes()) {
                    throw new SourceException("ManifestTooLarge", "path '" + (folder.isEmpty() ? "." : folder)
                            + "' at commit " + commit.getName().substring(0, 12) + " holds more than "
                            + (files.size() >= limits.maxFiles() ? limits.maxFiles() + " YAML files"
                                    : limits.maxBytes() + " bytes of YAML")
                            + " (the operator's limit: sluice.git.max-manifest-files / max-manifest-bytes); nothing of it is applied");
                }
                String relative = folder.isEmpty() ? file : file.substring(folder.length() + 1);
                files.put(relative, new String(loader.getBytes(), StandardCharsets.UTF_8));
            }
        }
        if (!folder.isEmpty() && files.isEmpty() && !folderExists(repo, commit, folder)) {
            throw new SourceException("PathNotFound", "path '" + folder + "' does not exist at commit "
                    + commit.getName().substring(0, 12));
        }
        return files;
    }

    private static boolean folderExists(Repository repo, RevCommit commit, String folder) throws IOException {
        try (TreeWalk walk = TreeWalk.forPath(repo, folder, commit.getTree())) {
            return walk != null;
        }
    }

    private static String normalizeFolder(String path) {
        String p = path == null ? "" : path.strip();
        while (p.startsWith("./")) {
            p = p.substring(2);
        }
        p = p.replaceAll("^/+|/+$", "");
        return p.equals(".") ? "" : p;
    }

    private static String mirrorKey(GitRequest request) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(request.url().getBytes(StandardCharsets.UTF_8));
            request.credentials().ifPresent(credentials -> {
                List<String> parts = switch (credentials) {
                    case GitCredentials.Https h -> List.of("https", h.username(), h.password());
                    case GitCredentials.Ssh s -> List.of("ssh", s.identity(), s.knownHosts());
                };
                for (String part : parts) {
                    digest.update((byte) 0);
                    digest.update(part.getBytes(StandardCharsets.UTF_8));
                }
            });
            return HexFormat.of().formatHex(digest.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }

    /** Strips user:password@ from anything URL-shaped, so credentials never reach status or logs. */
    public static String redact(String text) {
        return text == null ? "" : URL_USERINFO.matcher(text).replaceAll("");
    }
}
