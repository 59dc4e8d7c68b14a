package io.sluice.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.crud.KubernetesCrudDispatcherException;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

import java.net.HttpURLConnection;
import java.util.List;

/**
 * Fabric8's in-memory CRUD dispatcher with JSON merge patch done as a real API server does it (RFC 7386).
 * The stock one merges with Jackson's {@code readerForUpdating}, which appends to arrays and stores
 * {@code null}s, so patching {@code containers} or status {@code conditions} would keep stale entries.
 */
final class JsonMergePatchCrudDispatcher extends KubernetesCrudDispatcher {

    private static final String RULES_REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews";

    JsonMergePatchCrudDispatcher() {
        super(List.of());
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
        return super.handleCreate(request);
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
