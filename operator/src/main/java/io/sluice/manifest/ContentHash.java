package io.sluice.manifest;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The identity of a revision: a hash of the objects Sluice deploys from the path, as parsed (so
 * comments, key order, file names and files outside the path do not count). Two commits with the
 * same hash are the same revision. Each parsed set is hashed once and the hash kept as long as the
 * set itself is (the parsed-revision cache holds the sets), so the cache needs no bound of its own.
 */
public final class ContentHash {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    /** Writes maps with their keys sorted, at every depth: the order in the YAML does not count. */
    private static final com.fasterxml.jackson.databind.ObjectMapper SORTED = new com.fasterxml.jackson.databind.ObjectMapper()
            .configure(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    /** By identity of the parsed set (ManifestSet does not override equals). */
    private final Map<ManifestSet, String> bySet = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /** The hash of one parsed path. */
    public String of(ManifestSet manifests) {
        String known = bySet.get(manifests);
        if (known != null) {
            return known;
        }
        String hash = compute(manifests.all());
        bySet.put(manifests, hash);
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
                            digest.update(SORTED.writeValueAsBytes(SERIALIZATION.convertValue(m.object(), Map.class)));
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
