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
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * Git over JGit, with one bare mirror per repository and credentials, shared by every Rollout
 * that reads it. A mirror is fetched at most once per {@code minFetchInterval} (sooner after
 * {@link #invalidate}); concurrent readers of the same mirror wait for one fetch instead of starting
 * their own. Mirrors nobody has read for {@code mirrorIdleTimeout} are deleted, bounding disk use.
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

    /**
     * @param cacheDir          where the mirrors live, one directory each
     * @param timeout           of one network operation against a Git server
     * @param minFetchInterval  a mirror is fetched at most this often unless invalidated
     * @param mirrorIdleTimeout a mirror nobody read for this long is deleted by {@link #evictIdle()}
     */
    public record Settings(Path cacheDir, Duration timeout, Duration minFetchInterval, Duration mirrorIdleTimeout,
                           ManifestLimits limits) {
        public Settings(Path cacheDir, Duration timeout, Duration minFetchInterval, Duration mirrorIdleTimeout) {
            this(cacheDir, timeout, minFetchInterval, mirrorIdleTimeout, ManifestLimits.DEFAULT);
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

    @Inject
    public JGitSource(SluiceConfig config, Clock clock, MeterRegistry meters) {
        this(new Settings(config.git().cacheDir(), config.git().timeout(), config.git().minFetchInterval(),
                config.git().mirrorIdleTimeout(),
                new ManifestLimits(config.git().maxManifestFiles(), config.git().maxManifestBytes())), clock, meters);
    }

    public JGitSource(Settings settings, Clock clock, MeterRegistry meters) {
        this.settings = settings;
        this.clock = clock;
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

    private final class Mirror {
        final String key;
        final Path dir;
        /** {@link RepositoryUrls#normalize} of the URL, to find the mirror when its repository is invalidated. */
        final String repository;
        final ReentrantLock lock = new ReentrantLock();
        final AtomicLong fetches = new AtomicLong();
        /** Set by {@link #invalidate} without the lock; cleared under it when a fetch starts. */
        volatile boolean stale;
        volatile Instant lastUsed = clock.instant();
        Instant lastFetch;
        /** The last fetch's failure, replayed to readers for minFetchInterval instead of each fetching again. */
        SourceException lastFailure;
        Instant failedAt;
        boolean evicted;

        Mirror(String key, String repository) {
            this.key = key;
            this.dir = settings.cacheDir().resolve(key);
            this.repository = repository;
        }
    }

    @Override
    public GitSnapshot read(GitRequest request) throws SourceException {
        String key = mirrorKey(request);
        String repository = RepositoryUrls.normalize(request.url());
        while (true) {
            Mirror mirror = mirrors.computeIfAbsent(key, k -> new Mirror(k, repository));
            mirror.lock.lock();
            try {
                if (mirror.evicted) {
                    continue; // deleted while this reader waited for it: start over with a new one
                }
                mirror.lastUsed = clock.instant();
                return readLocked(mirror, request);
            } finally {
                mirror.lock.unlock();
            }
        }
    }

    private GitSnapshot readLocked(Mirror mirror, GitRequest request) throws SourceException {
        try (Git git = open(mirror)) {
            Instant now = clock.instant();
            Duration maxAge = request.maxAge().compareTo(settings.minFetchInterval()) > 0
                    ? request.maxAge() : settings.minFetchInterval();
            boolean fresh = mirror.lastFetch != null && mirror.lastFetch.plus(maxAge).isAfter(now);
            if (mirror.lastFailure != null && mirror.failedAt.plus(settings.minFetchInterval()).isAfter(now)) {
                // A server that just failed (maybe after a long timeout) is not asked again by every waiting reader.
                throw new SourceException(mirror.lastFailure.reason(), mirror.lastFailure.getMessage());
            }
            if (!fresh || mirror.stale || !known(git.getRepository(), request.ref())) {
                // Cleared before fetching, so that a push reported during this fetch causes the next one.
                mirror.stale = false;
                try {
                    fetch(git, mirror, request);
                } catch (SourceException e) {
                    mirror.stale = true;
                    mirror.lastFailure = e;
                    mirror.failedAt = clock.instant();
                    throw e;
                }
                mirror.lastFailure = null;
                mirror.lastFetch = now;
            }
            return snapshot(git.getRepository(), request);
        } catch (IOException e) {
            throw new SourceException("GitCacheError", "cannot use the local Git mirror: " + redact(e.getMessage()), e);
        }
    }

    /**
     * Marks every mirror of the repository (any URL form, any credentials) stale, so that its next read
     * fetches even within the minimum fetch interval.
     */
    @Override
    public void invalidate(String url) {
        String repository = RepositoryUrls.normalize(url);
        mirrors.values().stream().filter(m -> m.repository.equals(repository)).forEach(m -> {
            m.stale = true;
            m.lastFailure = null; // a push says the server is there: ask it again
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
     * A mirror being read is never deleted.
     */
    @Scheduled(every = "1m", delayed = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public void evictIdle() {
        Instant cutoff = clock.instant().minus(settings.mirrorIdleTimeout());
        for (Mirror mirror : mirrors.values()) {
            if (mirror.lastUsed.isAfter(cutoff) || !mirror.lock.tryLock()) {
                continue;
            }
            try {
                if (mirror.lastUsed.isAfter(cutoff)) {
                    continue; // read while this check waited for the lock
                }
                mirror.evicted = true;
                mirrors.remove(mirror.key, mirror);
                FileUtils.delete(mirror.dir.toFile(), FileUtils.RECURSIVE | FileUtils.RETRY | FileUtils.SKIP_MISSING);
                LOG.debugf("deleted the Git mirror %s, unused since %s", mirror.dir, mirror.lastUsed);
            } catch (IOException e) {
                LOG.warnf("cannot delete the idle Git mirror %s: %s", mirror.dir, e.getMessage());
            } finally {
                mirror.lock.unlock();
            }
        }
    }

    private Git open(Mirror mirror) throws IOException, SourceException {
        if (Files.isDirectory(mirror.dir.resolve("objects"))) {
            return Git.open(mirror.dir.toFile());
        }
        Files.createDirectories(mirror.dir);
        try {
            return Git.init().setBare(true).setDirectory(mirror.dir.toFile()).call();
        } catch (GitAPIException e) {
            throw new SourceException("GitCacheError", "cannot create a local Git mirror: " + redact(e.getMessage()), e);
        }
    }

    private void fetch(Git git, Mirror mirror, GitRequest request) throws SourceException {
        GitCredentials credentials = request.credentials().orElse(null);
        // HTTP gets a provider even without credentials, to tell "credentials required" from other failures.
        SecretCredentialsProvider https = credentials instanceof GitCredentials.Ssh ? null
                : new SecretCredentialsProvider(credentials instanceof GitCredentials.Https h ? h : null);
        try (SshAccess ssh = credentials instanceof GitCredentials.Ssh s ? SshAccess.of(s, settings.cacheDir()) : null) {
            var fetch = git.fetch()
                    .setRemote(request.url())
                    .setRefSpecs(new RefSpec("+refs/heads/*:refs/heads/*"), new RefSpec("+refs/tags/*:refs/tags/*"))
                    .setRemoveDeletedRefs(true)
                    .setTimeout((int) Math.max(1, settings.timeout().toSeconds()))
                    .setTransportConfigCallback(transport -> useCredentials(transport, credentials, ssh));
            fetch.setCredentialsProvider(https);
            mirror.fetches.incrementAndGet();
            try {
                fetch.call();
                fetchesSucceeded.increment();
            } catch (CredentialsMismatch e) {
                fetchesFailed.increment();
                throw new SourceException(e.reason, e.getMessage());
            } catch (GitAPIException | RuntimeException e) {
                fetchesFailed.increment();
                throw failure(request, e, ssh, https);
            }
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
