package io.sluice.sandbox;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The OpenAPI documents of the sandbox API, as far as kubectl needs them: {@code /openapi/v3} (the root
 * listing one document per group-version) and {@code /openapi/v3/apis/<group>/<version>} (and
 * {@code /api/v1}), whose write operations declare the {@code fieldValidation} query parameter. With
 * them {@code kubectl apply} (whose default is {@code --validate=strict}) validates on the server instead
 * of downloading a schema, and {@code kubectl explain} finds the CRDs' schemas. {@code /openapi/v2}
 * (which kubectl fetches as protobuf only) is a 404, as on a server that has switched it off.
 * <p>
 * The schemas of custom resources are their CRDs' (with {@code apiVersion}, {@code kind} and
 * {@code metadata} added, as the API server does); built-in kinds get an open object schema.
 */
final class SandboxOpenApi {

    private static final String V3 = "/openapi/v3";
    private static final List<String> MERGE_PATCH_TYPES =
            List.of("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml");

    private final SandboxDiscovery discovery;
    private final KubernetesSerialization json;

    SandboxOpenApi(SandboxDiscovery discovery, KubernetesSerialization json) {
        this.discovery = discovery;
        this.json = json;
    }

    /** The answer to a GET of {@code path}, or empty when it is not an OpenAPI path. */
    Optional<SandboxDiscovery.Answer> answer(String path) {
        int q = path.indexOf('?');
        String p = q >= 0 ? path.substring(0, q) : path;
        if (p.endsWith("/") && p.length() > 1) {
            p = p.substring(0, p.length() - 1);
        }
        if (!p.equals("/openapi") && !p.startsWith("/openapi/")) {
            return Optional.empty();
        }
        if (p.equals(V3)) {
            Map<String, Object> paths = new LinkedHashMap<>();
            for (String gv : groupVersions()) {
                String doc = json.asJson(document(gv));
                paths.put(gv, Map.of("serverRelativeURL", V3 + "/" + gv + "?hash=" + hash(doc)));
            }
            return Optional.of(new SandboxDiscovery.Answer(200, json.asJson(Map.of("paths", paths))));
        }
        if (p.startsWith(V3 + "/")) {
            String gv = p.substring(V3.length() + 1);
            if (groupVersions().contains(gv)) {
                return Optional.of(new SandboxDiscovery.Answer(200, json.asJson(document(gv))));
            }
        }
        return Optional.of(new SandboxDiscovery.Answer(404, json.asJson(new StatusBuilder().withStatus("Failure")
                .withReason("NotFound").withCode(404).withMessage("the server could not find the requested resource")
                .build())));
    }

    /** {@code api/v1}, {@code apis/apps/v1}, ... for every served kind. */
    private List<String> groupVersions() {
        return discovery.kinds().stream().map(SandboxOpenApi::groupVersionPath).distinct().toList();
    }

    private static String groupVersionPath(SandboxDiscovery.Kind k) {
        return k.group().isEmpty() ? "api/" + k.version() : "apis/" + k.group() + "/" + k.version();
    }

    private Map<String, Object> document(String gv) {
        Map<String, Object> paths = new LinkedHashMap<>();
        Map<String, Object> schemas = new LinkedHashMap<>();
        for (SandboxDiscovery.Kind k : discovery.kinds()) {
            if (!groupVersionPath(k).equals(gv)) {
                continue;
            }
            String schemaName = schemaName(k);
            Map<String, Object> schema = new LinkedHashMap<>(schema(k));
            schema.put("x-kubernetes-group-version-kind", List.of(gvk(k)));
            schemas.put(schemaName, schema);
            String base = "/" + gv + (k.namespaced() ? "/namespaces/{namespace}/" : "/") + k.plural();
            Map<String, Object> collection = new LinkedHashMap<>();
            collection.put("get", operation(k, "list", schemaName, false));
            collection.put("post", operation(k, "post", schemaName, true));
            paths.put(base, collection);
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("get", operation(k, "get", schemaName, false));
            item.put("put", operation(k, "put", schemaName, true));
            item.put("patch", operation(k, "patch", schemaName, true));
            item.put("delete", operation(k, "delete", schemaName, false));
            paths.put(base + "/{name}", item);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("openapi", "3.0.0");
        doc.put("info", Map.of("title", "Kubernetes", "version", "v" + SandboxDiscovery.KUBERNETES_MAJOR + "."
                + SandboxDiscovery.KUBERNETES_MINOR + ".0-sluice-sandbox"));
        doc.put("paths", paths);
        doc.put("components", Map.of("schemas", schemas));
        return doc;
    }

    private static Map<String, Object> operation(SandboxDiscovery.Kind k, String action, String schemaName, boolean write) {
        Map<String, Object> op = new LinkedHashMap<>();
        op.put("operationId", action + k.kind());
        List<Map<String, Object>> parameters = new ArrayList<>();
        if (write) {
            parameters.add(queryParameter("dryRun"));
            parameters.add(queryParameter("fieldManager"));
            parameters.add(queryParameter("fieldValidation"));
            Map<String, Object> content = new LinkedHashMap<>();
            for (String type : action.equals("patch") ? MERGE_PATCH_TYPES : List.of("application/json", "application/yaml")) {
                content.put(type, Map.of("schema", Map.of("$ref", "#/components/schemas/" + schemaName)));
            }
            op.put("requestBody", Map.of("content", content, "required", true));
        }
        op.put("parameters", parameters);
        op.put("responses", Map.of("200", Map.of("description", "OK", "content",
                Map.of("application/json", Map.of("schema", Map.of("$ref", "#/components/schemas/" + schemaName))))));
        op.put("x-kubernetes-action", action);
        op.put("x-kubernetes-group-version-kind", gvk(k));
        return op;
    }

    private static Map<String, Object> queryParameter(String name) {
        return Map.of("name", name, "in", "query", "schema", Map.of("type", "string", "uniqueItems", true));
    }

    private static Map<String, Object> gvk(SandboxDiscovery.Kind k) {
        Map<String, Object> gvk = new LinkedHashMap<>();
        gvk.put("group", k.group());
        gvk.put("kind", k.kind());
        gvk.put("version", k.version());
        return gvk;
    }

    /** {@code io.sluice.v1alpha1.Rollout}, {@code io.k8s.api.core.v1.Namespace}, as the API server names them. */
    private static String schemaName(SandboxDiscovery.Kind k) {
        if (k.group().isEmpty()) {
            return "io.k8s.api.core." + k.version() + "." + k.kind();
        }
        if (k.group().endsWith(".k8s.io") || !k.group().contains(".")) {
            return "io.k8s.api." + k.group().split("\\.")[0] + "." + k.version() + "." + k.kind();
        }
        List<String> parts = new ArrayList<>(List.of(k.group().split("\\.")));
        java.util.Collections.reverse(parts);
        return String.join(".", parts) + "." + k.version() + "." + k.kind();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> schema(SandboxDiscovery.Kind k) {
        for (CustomResourceDefinition crd : discovery.crds()) {
            var spec = crd.getSpec();
            if (spec == null || spec.getNames() == null || !k.group().equals(spec.getGroup())
                    || !k.kind().equals(spec.getNames().getKind()) || spec.getVersions() == null) {
                continue;
            }
            for (CustomResourceDefinitionVersion v : spec.getVersions()) {
                if (v.getName().equals(k.version()) && v.getSchema() != null && v.getSchema().getOpenAPIV3Schema() != null) {
                    Map<String, Object> schema = json.unmarshal(json.asJson(v.getSchema().getOpenAPIV3Schema()), Map.class);
                    Map<String, Object> properties = new LinkedHashMap<>();
                    properties.put("apiVersion", Map.of("type", "string",
                            "description", "APIVersion defines the versioned schema of this representation of an object."));
                    properties.put("kind", Map.of("type", "string",
                            "description", "Kind is a string value representing the REST resource this object represents."));
                    properties.put("metadata", Map.of("type", "object", "description", "Standard object's metadata."));
                    if (schema.get("properties") instanceof Map<?, ?> declared) {
                        properties.putAll((Map<String, Object>) declared);
                    }
                    schema.put("properties", properties);
                    return schema;
                }
            }
        }
        return Map.of("type", "object", "x-kubernetes-preserve-unknown-fields", true);
    }

    private static String hash(String doc) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-512").digest(doc.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().withUpperCase().formatHex(digest, 0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
