package io.sluice.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.crud.KubernetesCrudDispatcherException;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.mockwebserver.crud.AttributeSet;

import java.net.HttpURLConnection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fabric8's in-memory CRUD dispatcher with JSON merge patch done as a real API server does it (RFC 7386).
 * The stock one merges with Jackson's {@code readerForUpdating}, which appends to arrays and stores
 * {@code null}s, so patching {@code containers} or status {@code conditions} would keep stale entries.
 * <p>
 * It also validates custom resources whose CRD is stored, as an API server does: every create, update and
 * patch (the object as it would be stored, after the patch, with or without {@code /status}) is checked
 * against the CRD's schema and CEL rules ({@link CrdSchemaValidator}), and refused with 422 Invalid and the
 * API server's Status when it breaks one. As with CRD validation ratcheting (on by default since
 * Kubernetes 1.30), an update is refused only for violations the stored object did not already have.
 * Unlike an API server it neither prunes nor refuses unknown fields, and it applies no schema defaults
 * (Fabric8's handlers compute their answer before storing, so a defaulted store would answer the client
 * with something else than it stores). {@link #validateCustomResources(boolean)} turns validation off, and
 * {@link #dispatchLax} skips it for one request: a lax API server, for tests of what the operator does with
 * objects a real one would not have admitted.
 */
final class JsonMergePatchCrudDispatcher extends KubernetesCrudDispatcher {

    private static final String RULES_REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews";

    private static final String CRD_PREFIX = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
    private static final ObjectMapper JSON = new ObjectMapper();

    private volatile boolean validate = true;
    /** By "group/version/Kind"; empty when no stored CRD defines it. Cleared when a CRD changes. */
    private final Map<String, Optional<Validator>> validators = new ConcurrentHashMap<>();
    private final ThreadLocal<Boolean> inWrite = ThreadLocal.withInitial(() -> false);
    private final ThreadLocal<Boolean> laxRequest = ThreadLocal.withInitial(() -> false);

    private record Validator(String group, String kind, CrdSchemaValidator schema) {
    }

    /** An invalid object, refused from inside the store (which declares no checked exception there). */
    private static final class Rejected extends RuntimeException {
        final String status;

        Rejected(String status) {
            super(status, null, false, false);
            this.status = status;
        }
    }

    JsonMergePatchCrudDispatcher() {
        super(List.of());
    }

    /** Dispatches {@code request} without validating what it writes (a request to a lax API server). */
    MockResponse dispatchLax(RecordedRequest request) {
        laxRequest.set(true);
        try {
            return dispatch(request);
        } finally {
            laxRequest.set(false);
        }
    }

    /** Whether custom resources are validated against their CRDs (the default), or admitted as they come. */
    void validateCustomResources(boolean on) {
        this.validate = on;
    }

    @Override
    public MockResponse handleUpdate(RecordedRequest request) {
        return writing(() -> super.handleUpdate(request));
    }

    @Override
    public MockResponse handlePatch(RecordedRequest request) {
        return writing(() -> super.handlePatch(request));
    }

    private MockResponse writing(java.util.function.Supplier<MockResponse> write) {
        inWrite.set(true);
        try {
            return write.get();
        } catch (Rejected e) {
            return new MockResponse().setResponseCode(422).setHeader("Content-Type", "application/json").setBody(e.status);
        } finally {
            inWrite.set(false);
        }
    }

    @Override
    public void processEvent(String path, AttributeSet pathAttributes, AttributeSet oldAttributes,
            GenericKubernetesResource resource, String newState) {
        if (validate && inWrite.get() && !laxRequest.get() && newState != null) {
            check(newState, oldAttributes == null ? null : map.get(oldAttributes));
        }
        super.processEvent(path, pathAttributes, oldAttributes, resource, newState);
        if (path != null && path.startsWith(CRD_PREFIX)) {
            validators.clear();
        }
    }

    @SuppressWarnings("unchecked")
    private void check(String newState, String oldState) {
        Map<String, Object> object;
        try {
            object = JSON.readValue(newState, Map.class);
        } catch (JsonProcessingException e) {
            return;
        }
        object = withoutNulls(object);
        String apiVersion = String.valueOf(object.get("apiVersion"));
        if (!apiVersion.contains("/") || !(object.get("kind") instanceof String kind)) {
            return;
        }
        Optional<Validator> validator = validators.computeIfAbsent(apiVersion + "/" + kind, key -> find(apiVersion, kind));
        if (validator.isEmpty()) {
            return;
        }
        List<CrdSchemaValidator.Violation> violations = new ArrayList<>(validator.get().schema().violations(object).stream()
                .filter(v -> v.kind() != CrdSchemaValidator.Kind.UNKNOWN_FIELD).toList());
        if (!violations.isEmpty() && oldState != null) {
            try {
                Map<String, Object> stored = withoutNulls(JSON.readValue(oldState, Map.class));
                List<String> old = validator.get().schema().violations(stored).stream()
                        .map(CrdSchemaValidator.Violation::toString).toList();
                violations.removeIf(v -> old.contains(v.toString()));
            } catch (JsonProcessingException e) {
                // judge the new state alone
            }
        }
        if (!violations.isEmpty()) {
            Object metadata = object.get("metadata");
            String name = metadata instanceof Map<?, ?> m && m.get("name") != null ? String.valueOf(m.get("name")) : "";
            throw new Rejected(invalidStatus(validator.get().kind(), validator.get().group(), name, violations));
        }
    }

    /** The object without its null fields, which an API server drops when it decodes (as the mock does not). */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> withoutNulls(Map<String, Object> object) {
        Map<String, Object> copy = new LinkedHashMap<>();
        object.forEach((key, value) -> {
            if (value instanceof Map<?, ?> map) {
                copy.put(key, withoutNulls((Map<String, Object>) map));
            } else if (value instanceof List<?> list) {
                copy.put(key, list.stream().map(v -> v instanceof Map<?, ?> m ? withoutNulls((Map<String, Object>) m) : v).toList());
            } else if (value != null) {
                copy.put(key, value);
            }
        });
        return copy;
    }

    /** The validator of the stored CRD serving {@code apiVersion} (group/version) and {@code kind}. */
    @SuppressWarnings("unchecked")
    private Optional<Validator> find(String apiVersion, String kind) {
        String group = apiVersion.substring(0, apiVersion.indexOf('/'));
        String version = apiVersion.substring(apiVersion.indexOf('/') + 1);
        List<String> stored;
        synchronized (map) {
            stored = new ArrayList<>(map.values());
        }
        for (String json : stored) {
            if (!json.contains("CustomResourceDefinition")) {
                continue;
            }
            try {
                Map<String, Object> crd = JSON.readValue(json, Map.class);
                if (!"CustomResourceDefinition".equals(crd.get("kind")) || !(crd.get("spec") instanceof Map<?, ?> spec)
                        || !group.equals(spec.get("group")) || !(spec.get("names") instanceof Map<?, ?> names)
                        || !kind.equals(names.get("kind")) || !(spec.get("versions") instanceof List<?> versions)) {
                    continue;
                }
                for (Object v : versions) {
                    if (v instanceof Map<?, ?> entry && version.equals(entry.get("name")) && entry.get("schema") instanceof Map<?, ?> schema
                            && schema.get("openAPIV3Schema") != null) {
                        return Optional.of(new Validator(group, kind, CrdSchemaValidator.forVersion((Map<String, Object>) entry)));
                    }
                }
            } catch (JsonProcessingException | RuntimeException e) {
                // a CRD the sandbox cannot read (or whose rules do not compile) validates nothing
            }
        }
        return Optional.empty();
    }

    /**
     * The Status an API server answers an invalid custom resource with, e.g. {@code Rollout.sluice.io "x" is
     * invalid: spec.strategy.canary.steps[0].setWeight: Invalid value: 150: ...}.
     */
    static String invalidStatus(String kind, String group, String name, List<CrdSchemaValidator.Violation> violations) {
        List<Map<String, Object>> causes = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (CrdSchemaValidator.Violation v : violations) {
            String field;
            String text;
            String reason;
            if (v.kind() == CrdSchemaValidator.Kind.REQUIRED) {
                field = v.field().isEmpty() ? String.valueOf(v.value()) : v.field() + "." + v.value();
                text = "Required value";
                reason = "FieldValueRequired";
            } else {
                field = v.field().isEmpty() ? "<root>" : v.field();
                field = field.startsWith(".") ? field.substring(1) : field;
                text = "Invalid value: " + shown(v.value()) + ": " + v.message();
                reason = "FieldValueInvalid";
            }
            field = field.startsWith(".") ? field.substring(1) : field;
            texts.add(field + ": " + text);
            Map<String, Object> cause = new LinkedHashMap<>();
            cause.put("reason", reason);
            cause.put("message", text);
            cause.put("field", field);
            causes.add(cause);
        }
        String qualified = kind + "." + group;
        String message = qualified + " \"" + name + "\" is invalid: "
                + (texts.size() == 1 ? texts.getFirst() : "[" + String.join(", ", texts) + "]");
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("name", name);
        details.put("group", group);
        details.put("kind", kind);
        details.put("causes", causes);
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("kind", "Status");
        status.put("apiVersion", "v1");
        status.put("metadata", Map.of());
        status.put("status", "Failure");
        status.put("message", message);
        status.put("reason", "Invalid");
        status.put("details", details);
        status.put("code", 422);
        try {
            return JSON.writeValueAsString(status);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A value as the API server shows it in a message: JSON for scalars, "object" and "array" otherwise. */
    private static String shown(Object value) {
        if (value instanceof Map<?, ?>) {
            return "\"object\"";
        }
        if (value instanceof List<?>) {
            return "\"array\"";
        }
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            return String.valueOf(value);
        }
    }

    /**
     * A {@code SelfSubjectRulesReview} (which the operator SDK's leader election sends to check that it may
     * use Leases) is answered as the sandbox behaves: it has no authorization, so everything is allowed.
     * The stock dispatcher would store the review and return it without a status.
     */
    @Override
    public MockResponse handleCreate(RecordedRequest request) {
        if (request.getPath() != null && request.getPath().startsWith(RULES_REVIEWS)) {
            JsonNode body;
            try {
                body = asNode(request.getUtf8Body());
            } catch (KubernetesCrudDispatcherException e) {
                return new MockResponse().setResponseCode(HttpURLConnection.HTTP_BAD_REQUEST);
            }
            if (!(body instanceof ObjectNode review)) {
                return new MockResponse().setResponseCode(HttpURLConnection.HTTP_BAD_REQUEST);
            }
            ObjectNode status = review.putObject("status");
            ObjectNode everything = status.putArray("resourceRules").addObject();
            everything.putArray("verbs").add("*");
            everything.putArray("apiGroups").add("*");
            everything.putArray("resources").add("*");
            status.putArray("nonResourceRules");
            status.put("incomplete", false);
            return new MockResponse().setResponseCode(HttpURLConnection.HTTP_CREATED).setBody(review.toString());
        }
        return writing(() -> super.handleCreate(request));
    }

    /**
     * Fabric8's {@code PatchHandler} calls this for every {@code application/merge-patch+json} request, on
     * the object or its {@code /status}, and then applies the usual rules to the result (resourceVersion
     * check, status kept or taken alone, generation and resourceVersion bumps).
     */
    @Override
    public JsonNode merge(JsonNode current, String patch) throws KubernetesCrudDispatcherException {
        JsonNode patchNode = asNode(patch);
        if (!patchNode.isObject()) {
            throw new KubernetesCrudDispatcherException("a merge patch of an object must be a JSON object",
                    HttpURLConnection.HTTP_BAD_REQUEST);
        }
        return JsonMergePatch.apply(current, patchNode);
    }
}
