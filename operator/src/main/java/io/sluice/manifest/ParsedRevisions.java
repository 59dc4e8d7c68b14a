package io.sluice.manifest;

import io.sluice.config.SluiceConfig;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The manifests of recently read revisions, parsed once: a commit and a folder always hold the same
 * files, so the many Rollouts reading one repository (and every reconcile of each) share one parse
 * instead of parsing the YAML again. Bounded in entries and in bytes of YAML (least recently used
 * first out: the parsed objects' heap grows with their text); what is cached is never modified by its
 * readers (objects are cloned before they are changed or applied).
 */
public final class ParsedRevisions {
    /** With the revision limits' default of 16 MiB, two of the largest revisions fit. */
    public static final long DEFAULT_MAX_BYTES = 32L * 1024 * 1024;

    private record Entry(ManifestSet manifests, long bytes) {
    }

    private final int capacity;
    private final long maxBytes;
    private final ManifestSet.Limits limits;
    private final LongSupplier nanoTime;
    private final Map<String, Entry> parsed = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes; // guarded by parsed

    public ParsedRevisions(int capacity) {
        this(capacity, DEFAULT_MAX_BYTES, ManifestSet.Limits.DEFAULT, System::nanoTime);
    }

    public ParsedRevisions(int capacity, long maxBytes, ManifestSet.Limits limits, LongSupplier nanoTime) {
        this.capacity = capacity;
        this.maxBytes = maxBytes;
        this.limits = limits;
        this.nanoTime = nanoTime;
    }

    /** The operator's: 1024 revisions, and the byte and parse limits of {@code sluice.git}. */
    public static ParsedRevisions of(SluiceConfig.Git git) {
        return new ParsedRevisions(1024, git.parsedCacheMaxBytes(),
                new ManifestSet.Limits(git.maxManifestObjects(), git.maxParseTime()), System::nanoTime);
    }

    /** The parsed files of {@code folder} at commit {@code revision}; parse failures are not cached. */
    public ManifestSet get(String revision, String folder, Map<String, String> files) throws InvalidManifestException {
        String key = revision + '\u0000' + folder;
        synchronized (parsed) {
            Entry cached = parsed.get(key);
            if (cached != null) {
                return cached.manifests();
            }
        }
        ManifestSet fresh = ManifestSet.parse(files, limits, nanoTime);
        long size = files.values().stream().mapToLong(String::length).sum();
        if (size > maxBytes) {
            return fresh; // larger than the whole cache: parsed again next time rather than evict everyone
        }
        synchronized (parsed) {
            Entry previous = parsed.put(key, new Entry(fresh, size));
            bytes += size - (previous == null ? 0 : previous.bytes());
            Iterator<Entry> eldest = parsed.values().iterator();
            while ((parsed.size() > capacity || bytes > maxBytes) && eldest.hasNext()) {
                bytes -= eldest.next().bytes();
                eldest.remove();
            }
        }
        return fresh;
    }

    /** Bytes of YAML the cached revisions were parsed from. */
    public long bytes() {
        synchronized (parsed) {
            return bytes;
        }
    }
}
