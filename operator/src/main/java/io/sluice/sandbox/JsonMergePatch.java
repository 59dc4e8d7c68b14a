package io.sluice.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;

/** JSON merge patch as RFC 7386 defines it, the semantics of {@code application/merge-patch+json}. */
final class JsonMergePatch {

    private JsonMergePatch() {
    }

    /**
     * Returns {@code target} with {@code patch} applied, leaving both arguments unchanged: objects are merged
     * key by key, a {@code null} value deletes its key, and anything else (arrays included) replaces the
     * target value whole.
     */
    static JsonNode apply(JsonNode target, JsonNode patch) {
        return mergeInto(target == null ? null : target.deepCopy(), patch);
    }

    /** {@code target} is a private copy, so it is changed in place. */
    private static JsonNode mergeInto(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) {
            return patch.deepCopy();
        }
        ObjectNode merged = target instanceof ObjectNode object ? object : JsonNodeFactory.instance.objectNode();
        for (Map.Entry<String, JsonNode> field : patch.properties()) {
            if (field.getValue().isNull()) {
                merged.remove(field.getKey());
            } else {
                merged.set(field.getKey(), mergeInto(merged.get(field.getKey()), field.getValue()));
            }
        }
        return merged;
    }
}
