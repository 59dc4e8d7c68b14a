package io.sluice.manifest;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The manifests of recently read revisions, parsed once: a commit and a folder always hold the same
 * files, so the many Rollouts reading one repository (and every reconcile of each) share one parse
 * instead of parsing the YAML again. Bounded (least recently used first out); what is cached is
 * never modified by its readers (objects are cloned before they are changed or applied).
 */
public final class ParsedRevisions {
    private final int capacity;
    private final Map<String, ManifestSet> parsed;

    public ParsedRevisions(int capacity) {
        this.capacity = capacity;
        this.parsed = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, ManifestSet> eldest) {
                return size() > ParsedRevisions.this.capacity;
            }
        };
    }

    /** The parsed files of {@code folder} at commit {@code revision}; parse failures are not cached. */
    public ManifestSet get(String revision, String folder, Map<String, String> files) throws InvalidManifestException {
        String key = revision + '\u0000' + folder;
        synchronized (parsed) {
            ManifestSet cached = parsed.get(key);
            if (cached != null) {
                return cached;
            }
        }
        ManifestSet fresh = ManifestSet.parse(files);
        synchronized (parsed) {
            parsed.put(key, fresh);
        }
        return fresh;
    }
}
