package io.sluice.traffic.istio;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;

import java.util.List;
import java.util.Map;

/** Reads the untyped fields of an Istio object, treating absent or malformed fields as empty. */
final class IstioObject {
    static final String API_VERSION = "networking.istio.io/v1";
    static final String VIRTUAL_SERVICE = "VirtualService";
    static final String DESTINATION_RULE = "DestinationRule";

    private IstioObject() {
    }

    static String name(GenericKubernetesResource object) {
        return object.getMetadata() == null ? "(unnamed)" : object.getMetadata().getName();
    }

    /** The object's spec, empty when it has none. */
    static Map<String, Object> spec(GenericKubernetesResource object) {
        return map(object.getAdditionalProperties().get("spec"));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /** The maps of a list field, in order; they are the object's own maps, not copies. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> maps(Object value) {
        if (!(value instanceof List<?> list)) {
            return List.of();
        }
        return list.stream().filter(Map.class::isInstance).map(item -> (Map<String, Object>) item).toList();
    }
}
