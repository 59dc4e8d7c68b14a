package io.sluice.manifest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/** The Kubernetes objects of one revision of the source, parsed from its YAML files. */
public final class ManifestSet {
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private final List<Manifest> manifests;
    /** A manifest's kind checked regardless of namespace: the problem, if any; invalid: it is not even a valid object. */
    record KindCheck(String problem, boolean invalid) {
    }

    /** Per manifest, what {@link ManifestRules} finds wrong with its kind regardless of namespace; computed once. */
    private volatile List<KindCheck> kindProblems;

    private ManifestSet(List<Manifest> manifests) {
        this.manifests = List.copyOf(manifests);
    }

    /**
     * What parsing one revision may cost, beyond the file and byte limits its reading already checked.
     *
     * @param maxObjects   Kubernetes objects (non-empty YAML documents) in all
     * @param maxParseTime the longest the whole parse may take
     */
    public record Limits(int maxObjects, Duration maxParseTime) {
        public static final Limits DEFAULT = new Limits(5000, Duration.ofSeconds(10));
    }

    /**
     * Parses every file (multi-document YAML allowed; empty documents skipped). The whole set is
     * rejected on the first broken document, so a revision is used entirely or not at all.
     */
    public static ManifestSet parse(Map<String, String> files) throws InvalidManifestException {
        return parse(files, Limits.DEFAULT, System::nanoTime);
    }

    /**
     * Like {@link #parse(Map)}, within {@code limits}: past one, the revision is rejected with reason
     * ManifestTooLarge. The time is checked between documents ({@code nanoTime} is the clock).
     */
    public static ManifestSet parse(Map<String, String> files, Limits limits, LongSupplier nanoTime)
            throws InvalidManifestException {
        List<Manifest> manifests = new ArrayList<>();
        long deadline = nanoTime.getAsLong() + limits.maxParseTime().toNanos();
        for (var file : files.entrySet()) {
            int document = 0;
            try (MappingIterator<Object> docs = YAML.readerFor(Object.class).readValues(file.getValue())) {
                while (docs.hasNextValue()) {
                    document++;
                    if (nanoTime.getAsLong() - deadline > 0) {
                        throw new InvalidManifestException("ManifestTooLarge", "parsing the revision's YAML took longer "
                                + "than " + limits.maxParseTime().toMillis() + " ms (the operator's limit: "
                                + "sluice.git.max-parse-time), at " + file.getKey() + "; nothing of it is applied");
                    }
                    Object doc = docs.nextValue();
                    if (doc == null) {
                        continue;
                    }
                    String where = file.getKey() + (document > 1 ? " (document " + document + ")" : "");
                    if (!(doc instanceof Map<?, ?> map)) {
                        throw new InvalidManifestException(where + ": not a Kubernetes object (expected a mapping)");
                    }
                    if (manifests.size() >= limits.maxObjects()) {
                        throw new InvalidManifestException("ManifestTooLarge", "the revision holds more than "
                                + limits.maxObjects() + " objects (the operator's limit: sluice.git.max-manifest-objects), "
                                + "at " + where + "; nothing of it is applied");
                    }
                    manifests.add(new Manifest(file.getKey(), document, toObject(map, where)));
                }
            } catch (JsonProcessingException e) {
                throw new InvalidManifestException(file.getKey() + (document > 1 ? " (document " + document + ")" : "")
                        + ": invalid YAML: " + e.getOriginalMessage()
                        + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr() : ""));
            } catch (IOException e) {
                throw new InvalidManifestException(file.getKey() + ": cannot be read: " + e.getMessage());
            }
        }
        return new ManifestSet(manifests);
    }

    private static GenericKubernetesResource toObject(Map<?, ?> map, String where) throws InvalidManifestException {
        for (String field : List.of("apiVersion", "kind")) {
            if (!(map.get(field) instanceof String s) || s.isBlank()) {
                throw new InvalidManifestException(where + ": " + field + " is missing");
            }
        }
        if (!(map.get("metadata") instanceof Map<?, ?> metadata) || !(metadata.get("name") instanceof String name)
                || name.isBlank()) {
            throw new InvalidManifestException(where + ": metadata.name is missing");
        }
        try {
            return SERIALIZATION.convertValue(map, GenericKubernetesResource.class);
        } catch (IllegalArgumentException e) {
            throw new InvalidManifestException(where + ": not a Kubernetes object: " + e.getMessage());
        }
    }

    List<KindCheck> kindProblems(java.util.function.Function<Manifest, KindCheck> check) {
        List<KindCheck> known = kindProblems;
        if (known == null) {
            known = manifests.stream().map(check).toList();
            kindProblems = known;
        }
        return known;
    }

    public List<Manifest> all() {
        return manifests;
    }

    /** The object of this API group, kind and name, if the source has it. */
    public Optional<Manifest> find(String group, String kind, String name) {
        return manifests.stream()
                .filter(m -> m.group().equals(group) && m.kind().equals(kind) && m.name().equals(name))
                .findFirst();
    }
}
