package io.sluice.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.crud.KubernetesCrudDispatcherException;

import java.net.HttpURLConnection;
import java.util.List;

/**
 * Fabric8's in-memory CRUD dispatcher with JSON merge patch done as a real API server does it (RFC 7386).
 * The stock one merges with Jackson's {@code readerForUpdating}, which appends to arrays and stores
 * {@code null}s, so patching {@code containers} or status {@code conditions} would keep stale entries.
 */
final class JsonMergePatchCrudDispatcher extends KubernetesCrudDispatcher {

    JsonMergePatchCrudDispatcher() {
        super(List.of());
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
