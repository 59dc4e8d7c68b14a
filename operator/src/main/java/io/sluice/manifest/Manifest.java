package io.sluice.manifest;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;

/** One object from the source, with where it came from (for error messages). */
public record Manifest(String file, int document, GenericKubernetesResource object) {

    public String kind() {
        return object.getKind();
    }

    public String name() {
        return object.getMetadata().getName();
    }

    /** The API group of the object: "" for the core group, "apps" for apps/v1. */
    public String group() {
        String apiVersion = object.getApiVersion();
        int slash = apiVersion.indexOf('/');
        return slash < 0 ? "" : apiVersion.substring(0, slash);
    }

    public String origin() {
        return file + (document > 1 ? " (document " + document + ")" : "");
    }
}
