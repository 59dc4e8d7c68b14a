package io.sluice.manifest;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The identity of a revision: a hash of the objects Sluice deploys from the path, as parsed (so
 * comments, key order, file names and files outside the path do not count). Two commits with the
 * same hash are the same revision. Results are kept per commit and path, a bounded number of them.
 */
public final class ContentHash {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final com.fasterxml.jackson.databind.ObjectMapper SORTED = new com.fasterxml.jackson.databind.ObjectMapper()
            .configure(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    private final int capacity;
    private final Map<String, String> byCommitAndPath;

    public ContentHash(int capacity) {
        this.capacity = capacity;
        this.byCommitAndPath = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                return size() > ContentHash.this.capacity;
            }
        };
    }

    /** The hash of one commit's objects under one path (the commit and path only key the cache). */
    public String of(String commit, String path, ManifestSet manifests) {
        String key = commit + "\u0000" + path;
        synchronized (byCommitAndPath) {
            String known = byCommitAndPath.get(key);
            if (known != null) {
                return known;
            }
        }
        String hash = compute(manifests.all());
        synchronized (byCommitAndPath) {
            byCommitAndPath.put(key, hash);
        }
        return hash;
    }

    static String compute(List<Manifest> manifests) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            manifests.stream()
                    .sorted(Comparator.comparing((Manifest m) -> m.group()).thenComparing(Manifest::kind)
                            .thenComparing(m -> String.valueOf(m.object().getMetadata().getNamespace()))
                            .thenComparing(Manifest::name))
                    .forEach(m -> {
                        try {
                            digest.update(SORTED.writeValueAsBytes(SERIALIZATION.convertValue(m.object(), TreeMap.class)));
                        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                            throw new IllegalStateException(e);
                        }
                        digest.update((byte) 0);
                    });
            return HexFormat.of().formatHex(digest.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
