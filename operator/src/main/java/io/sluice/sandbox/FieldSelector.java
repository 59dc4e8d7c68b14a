package io.sluice.sandbox;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A field selector ({@code involvedObject.kind=Rollout,involvedObject.name!=x,type==Warning}) evaluated
 * on stored objects as JSON, for the requirements Fabric8's mock cannot evaluate: it keeps only
 * {@code metadata.name} and {@code metadata.namespace} (which it matches itself) and would match
 * nothing for any other field, such as the {@code involvedObject.*}, {@code reason} and {@code type}
 * of Events that {@code kubectl describe} and {@code kubectl get events --field-selector} use.
 * <p>
 * A field is a dotted path into the object ({@code involvedObject.kind}, {@code regarding.name},
 * {@code spec.nodeName}, {@code status.phase}); a missing one is the empty string, as on a real API
 * server. Operators {@code =}, {@code ==}, {@code !=}. Unlike a real API server, which accepts only the
 * fields each kind declares, every path is accepted.
 */
record FieldSelector(List<Requirement> requirements) {

    private static final List<String> MOCK_FIELDS = List.of("metadata.name", "metadata.namespace");

    record Requirement(String field, boolean equal, String value) {
        boolean matches(JsonNode object) {
            JsonNode at = object;
            for (String key : field.split("\\.")) {
                at = at == null ? null : at.get(key);
            }
            String actual = at == null || at.isNull() ? "" : at.isValueNode() ? at.asText() : at.toString();
            return actual.equals(value) == equal;
        }
    }

    boolean matches(JsonNode object) {
        return requirements.stream().allMatch(r -> r.matches(object));
    }

    boolean isEmpty() {
        return requirements.isEmpty();
    }

    /**
     * The requirements of {@code path}'s {@code fieldSelector} that the mock cannot evaluate, and the path
     * without them (keeping those on metadata.name and metadata.namespace); empty when there are none.
     */
    static Optional<Split> split(String path) {
        int q = path.indexOf('?');
        if (q < 0) {
            return Optional.empty();
        }
        List<String> params = new ArrayList<>();
        List<Requirement> ours = new ArrayList<>();
        for (String param : path.substring(q + 1).split("&")) {
            if (!param.startsWith("fieldSelector=")) {
                params.add(param);
                continue;
            }
            String selector = URLDecoder.decode(param.substring("fieldSelector=".length()), StandardCharsets.UTF_8);
            List<String> kept = new ArrayList<>();
            for (String term : selector.split(",")) {
                Requirement r = parse(term.trim());
                if (r == null || MOCK_FIELDS.contains(r.field())) {
                    if (!term.isBlank()) {
                        kept.add(term.trim());
                    }
                } else {
                    ours.add(r);
                }
            }
            if (!kept.isEmpty()) {
                params.add("fieldSelector=" + URLEncoder.encode(String.join(",", kept), StandardCharsets.UTF_8));
            }
        }
        if (ours.isEmpty()) {
            return Optional.empty();
        }
        String rest = path.substring(0, q) + (params.isEmpty() ? "" : "?" + String.join("&", params));
        return Optional.of(new Split(rest, new FieldSelector(List.copyOf(ours))));
    }

    /** A path for the mock and the requirements left to evaluate on what it answers. */
    record Split(String path, FieldSelector selector) {
    }

    private static Requirement parse(String term) {
        int ne = term.indexOf("!=");
        if (ne > 0) {
            return new Requirement(term.substring(0, ne).trim(), false, term.substring(ne + 2).trim());
        }
        int eq = term.indexOf("==");
        if (eq > 0) {
            return new Requirement(term.substring(0, eq).trim(), true, term.substring(eq + 2).trim());
        }
        eq = term.indexOf('=');
        if (eq > 0) {
            return new Requirement(term.substring(0, eq).trim(), true, term.substring(eq + 1).trim());
        }
        return null;
    }
}
