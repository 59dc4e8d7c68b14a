package io.sluice.sandbox;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An in-memory Kubernetes API server on 127.0.0.1 over plain HTTP, for tests and for {@code sluice run}
 * when no cluster is configured. It is Fabric8's mock server in CRUD mode with JSON merge patch following
 * RFC 7386 (see {@link JsonMergePatchCrudDispatcher}).
 * <p>
 * It keeps objects with resourceVersions (409 on a stale one) and generations, serves watches, and honours
 * the status subresource of custom resources whose CRD has been installed. It answers discovery
 * ({@link SandboxDiscovery}: {@code /version}, {@code /api}, {@code /apis}, ...) and OpenAPI v3
 * ({@link SandboxOpenApi}) so that kubectl works against it ({@link #writeKubeconfig}): {@code apply} with its
 * default validation, {@code get} (Tables for custom resources and Events), {@code get -w} (chunked watches,
 * {@link SandboxWebServer}), field selectors on any field ({@link FieldSelector}, so {@code describe} shows
 * events), and {@code create namespace|secret|configmap|serviceaccount}, whose bodies kubectl sends as protobuf
 * ({@link KubernetesProtobuf}). Custom resources are validated against their CRD's schema and CEL rules
 * ({@link #validateCustomResources}). It has no admission, pruning or defaulting, server-side apply, strategic
 * merge patch, OpenAPI v2 or garbage collection.
 */
public final class SandboxApiServer implements AutoCloseable {

    private static final String LOOPBACK = "127.0.0.1";
    private static final String DEFAULT_NAMESPACE = "default";
    private static final String CRD_API_VERSION = "apiextensions.k8s.io/v1";
    private static final String CRD_KIND = "CustomResourceDefinition";
    /**
     * A request with this header (any value) is served as by a lax API server: what it writes is not validated
     * against the CRDs. For tests of what the operator does with objects that slipped past validation.
     */
    public static final String LAX_HEADER = "X-Sluice-Sandbox-Lax";

    private final KubernetesMockServer server;
    private final JsonMergePatchCrudDispatcher store;
    private final KubernetesClient client;
    private SandboxDiscovery discovery;
    private boolean closed;

    private SandboxApiServer(KubernetesMockServer server, JsonMergePatchCrudDispatcher store) {
        this.server = server;
        this.store = store;
        this.client = new KubernetesClientBuilder().withConfig(clientConfig()).build();
    }

    /** Starts a server on a free port. */
    public static SandboxApiServer start() {
        return start(0);
    }

    /** Starts a server on {@code port}, or on a free port if it is 0. */
    public static SandboxApiServer start(int port) {
        DiscoveringDispatcher dispatcher = new DiscoveringDispatcher(new JsonMergePatchCrudDispatcher());
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new SandboxWebServer(dispatcher),
                new HashMap<>(), dispatcher, false);
        server.init(new InetSocketAddress(LOOPBACK, port).getAddress(), port);
        SandboxApiServer sandbox = new SandboxApiServer(server, dispatcher.crud);
        SandboxDiscovery discovery = new SandboxDiscovery(sandbox.client.getKubernetesSerialization(),
                () -> dispatcher.crud.handleGet(SandboxDiscovery.crdListPath()).getBody().readUtf8(),
                LOOPBACK + ":" + server.getPort());
        dispatcher.openApi = new SandboxOpenApi(discovery, sandbox.client.getKubernetesSerialization());
        dispatcher.discovery = discovery;
        sandbox.discovery = discovery;
        return sandbox;
    }

    /**
     * Whether custom resources are validated against their installed CRDs (schema and CEL rules; the default)
     * and refused with 422 Invalid as an API server would, or admitted as they come: a lax API server, for
     * tests of what the operator does with an object that slipped past validation.
     */
    public SandboxApiServer validateCustomResources(boolean on) {
        store.validateCustomResources(on);
        return this;
    }

    /**
     * Whether Istio's networking kinds are served where no Istio CRD is installed (the default), or not at all, as
     * on a cluster without Istio (left out of discovery, 404 for every request under their group): for tests of an
     * operator started where Istio's API is not served.
     */
    public SandboxApiServer serveIstio(boolean on) {
        discovery.serveIstio(on);
        return this;
    }

    /** {@code http://127.0.0.1:<port>} */
    public String url() {
        return "http://" + LOOPBACK + ":" + port();
    }

    public int port() {
        return server.getPort();
    }

    /** A client owned by the server and closed with it; its default namespace is {@code default}. */
    public KubernetesClient client() {
        return client;
    }

    /** A new configuration pointing at this server and nothing else (no kubeconfig or environment is read). */
    public Config clientConfig() {
        return new ConfigBuilder(Config.empty())
                .withMasterUrl(url())
                .withNamespace(DEFAULT_NAMESPACE)
                .build();
    }

    /**
     * Writes a kubeconfig for kubectl (and {@code kubectl sluice}) whose current context, {@code sandbox},
     * points at this server with {@code namespace} as its namespace. No credentials: the sandbox checks none.
     */
    public Path writeKubeconfig(Path file, String namespace) {
        return writeKubeconfig(file, url(), namespace);
    }

    /**
     * Writes a kubeconfig whose current context, {@code sandbox}, points at {@code server} with {@code namespace}
     * as its namespace, plus one more context per {@code otherNamespaces} entry, named after that namespace, on
     * the same server. No credentials: the sandbox checks none.
     */
    public static Path writeKubeconfig(Path file, String server, String namespace, String... otherNamespaces) {
        StringBuilder contexts = new StringBuilder(context("sandbox", namespace));
        for (String other : otherNamespaces) {
            contexts.append(context(other, other));
        }
        String yaml = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: sandbox
                  cluster:
                    server: %s
                users:
                - name: sandbox
                  user: {}
                contexts:
                %scurrent-context: sandbox
                """.formatted(server, contexts);
        try {
            Files.writeString(file, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    private static String context(String name, String namespace) {
        return """
                - name: %s
                  context:
                    cluster: sandbox
                    user: sandbox
                    namespace: %s
                """.formatted(name, namespace);
    }

    /**
     * Creates the {@code apiextensions.k8s.io/v1} CustomResourceDefinition read from one YAML (or JSON)
     * document, after which its custom resources are served, with a status subresource if it declares one.
     */
    public CustomResourceDefinition installCrd(InputStream yaml) {
        return installCrd(yaml, "the given stream");
    }

    /**
     * {@link #installCrd(InputStream) Installs} the {@code *.yaml} and {@code *.yml} files of {@code dir}
     * in name order.
     */
    public List<CustomResourceDefinition> installCrds(Path dir) {
        List<CustomResourceDefinition> installed = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            List<Path> yamlFiles = entries
                    .filter(file -> file.getFileName().toString().matches(".*\\.ya?ml"))
                    .sorted()
                    .toList();
            for (Path file : yamlFiles) {
                try (InputStream yaml = Files.newInputStream(file)) {
                    installed.add(installCrd(yaml, file.toString()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return installed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        client.close();
        server.destroy();
    }

    /**
     * Answers discovery and OpenAPI requests and Table renderings itself, evaluates the field selectors the
     * mock cannot, turns watch events into Tables for kubectl, refuses protobuf request bodies, and hands
     * everything else to the CRUD dispatcher.
     */
    private static final class DiscoveringDispatcher extends Dispatcher {
        private static final java.util.regex.Pattern WATCH = java.util.regex.Pattern.compile("[?&]watch=(true|1)(&|$)");
        private static final java.util.regex.Pattern RESOURCE_VERSION =
                java.util.regex.Pattern.compile("[?&]resourceVersion=([0-9]+)(&|$)");
        private static final String PROTOBUF = "application/vnd.kubernetes.protobuf";

        final JsonMergePatchCrudDispatcher crud;
        volatile SandboxDiscovery discovery;
        volatile SandboxOpenApi openApi;
        private final com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();

        DiscoveringDispatcher(JsonMergePatchCrudDispatcher crud) {
            this.crud = crud;
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            String contentType = request.getHeader("Content-Type");
            if (contentType != null && contentType.startsWith(PROTOBUF) && request.getBody() != null
                    && request.getBody().size() > 0) {
                var decoded = KubernetesProtobuf.decode(request.getBody().getBytes());
                if (decoded.isEmpty()) {
                    return json(415, status(415, "UnsupportedMediaType", "the body of the request was in an unknown format: "
                            + contentType + " (the sandbox API reads JSON, and protobuf only for Namespaces, Secrets, "
                            + "ConfigMaps and ServiceAccounts)"));
                }
                try {
                    request = new RecordedRequest(request.getHttpVersion(), request.method(), request.getPath(),
                            request.getHeaders().newBuilder().set("Content-Type", "application/json").build(),
                            new io.fabric8.mockwebserver.http.Buffer(mapper.writeValueAsBytes(decoded.get())));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
                // without a Content-Type, kubectl would read the JSON answer as the protobuf it sent
                MockResponse created = crud.dispatch(request);
                return created.getHeaders().get("Content-Type") != null ? created
                        : created.setHeader("Content-Type", "application/json");
            }
            SandboxDiscovery d = discovery;
            if (d != null && !d.servesIstio() && request.getPath() != null
                    && request.getPath().startsWith("/apis/networking.istio.io/")) {
                return json(404, status(404, "NotFound", "the server could not find the requested resource"));
            }
            if (request.getHeader(LAX_HEADER) != null) {
                return crud.dispatchLax(request);
            }
            if (d == null || request.method() != HttpMethod.GET) {
                return crud.dispatch(request);
            }
            String path = request.getPath();
            var openApiAnswer = openApi.answer(path);
            if (openApiAnswer.isPresent()) {
                return json(openApiAnswer.get().code(), openApiAnswer.get().body());
            }
            var answer = d.answer(path);
            if (answer.isPresent()) {
                return json(answer.get().code(), answer.get().body());
            }
            var split = FieldSelector.split(path);
            String accept = request.getHeader("Accept");
            boolean asTable = accept != null && accept.contains("as=Table");
            if (WATCH.matcher(path).find()) {
                MockResponse watch = crud.handleGet(split.map(FieldSelector.Split::path).orElse(path));
                if (watch.getWebSocketListener() == null) {
                    return watch;
                }
                boolean streamed = !"websocket".equalsIgnoreCase(request.getHeader("Upgrade"));
                var rv = RESOURCE_VERSION.matcher(path);
                long since = streamed && rv.find() ? Long.parseLong(rv.group(1)) : 0;
                return new MockResponse().withWebSocketUpgrade(new FilteringWatch(watch.getWebSocketListener(),
                        event -> transform(event, path, split.map(FieldSelector.Split::selector).orElse(null), asTable, since)));
            }
            if (asTable) {
                var table = d.table(path, p -> read(p), java.time.Instant.now());
                if (table.isPresent()) {
                    return json(table.get().code(), table.get().body());
                }
            }
            if (split.isPresent()) {
                SandboxDiscovery.Answer filtered = read(path);
                return json(filtered.code(), filtered.body());
            }
            return crud.dispatch(request);
        }

        /** A GET of {@code path} from the store, with the field selector the mock cannot evaluate applied. */
        private SandboxDiscovery.Answer read(String path) {
            var split = FieldSelector.split(path);
            MockResponse stored = crud.handleGet(split.map(FieldSelector.Split::path).orElse(path));
            String body = stored.getBody() == null ? "" : stored.getBody().readUtf8();
            if (split.isEmpty() || stored.code() != 200) {
                return new SandboxDiscovery.Answer(stored.code(), body);
            }
            try {
                var doc = mapper.readTree(body);
                if (doc.get("items") instanceof com.fasterxml.jackson.databind.node.ArrayNode items) {
                    var kept = mapper.createArrayNode();
                    items.forEach(item -> {
                        if (split.get().selector().matches(item)) {
                            kept.add(item);
                        }
                    });
                    ((com.fasterxml.jackson.databind.node.ObjectNode) doc).set("items", kept);
                    // typed clients (kubectl describe's events) decode an EventList, not the mock's List
                    discovery.collectionKind(path).ifPresent(kind ->
                            ((com.fasterxml.jackson.databind.node.ObjectNode) doc).put("kind", kind.kind() + "List"));
                    return new SandboxDiscovery.Answer(200, doc.toString());
                }
                return split.get().selector().matches(doc) ? new SandboxDiscovery.Answer(200, body)
                        : new SandboxDiscovery.Answer(404, status(404, "NotFound", "not found"));
            } catch (java.io.IOException e) {
                return new SandboxDiscovery.Answer(stored.code(), body);
            }
        }

        /**
         * One watch event as the client gets it: dropped when its object does not match the field selector, or
         * (on a chunked watch from a resourceVersion, as kubectl's) when it is an ADDED event of an object the
         * client has already listed; its object as a Table of one row when the client asked for Tables.
         */
        private String transform(String event, String path, FieldSelector selector, boolean asTable, long since) {
            try {
                var node = mapper.readTree(event);
                var object = node.get("object");
                if (object == null) {
                    return event;
                }
                if (selector != null && !selector.matches(object)) {
                    return null;
                }
                if (since > 0 && "ADDED".equals(node.path("type").asText())) {
                    String rv = object.path("metadata").path("resourceVersion").asText("");
                    if (rv.matches("[0-9]+") && Long.parseLong(rv) <= since) {
                        return null;
                    }
                }
                if (asTable) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> asMap = mapper.convertValue(object, Map.class);
                    var table = discovery.watchTable(path, asMap, java.time.Instant.now());
                    if (table.isPresent()) {
                        ((com.fasterxml.jackson.databind.node.ObjectNode) node).set("object", mapper.valueToTree(table.get()));
                        return node.toString();
                    }
                }
                return event;
            } catch (java.io.IOException e) {
                return event;
            }
        }

        private static MockResponse json(int code, String body) {
            return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json").setBody(body);
        }

        private static String status(int code, String reason, String message) {
            return "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
                    + com.fasterxml.jackson.databind.node.TextNode.valueOf(message) + ",\"reason\":\"" + reason
                    + "\",\"code\":" + code + "}";
        }

        @Override
        public void shutdown() {
            crud.shutdown();
        }
    }

    /**
     * A watch whose events pass through {@code transform} (which may drop one by returning null) on their way
     * to the client, over WebSocket or a chunked response alike.
     */
    private static final class FilteringWatch extends io.fabric8.mockwebserver.http.WebSocketListener {
        private final io.fabric8.mockwebserver.http.WebSocketListener inner;
        private final java.util.function.UnaryOperator<String> transform;
        private final Map<io.fabric8.mockwebserver.http.WebSocket, io.fabric8.mockwebserver.http.WebSocket> wrapped =
                new java.util.concurrent.ConcurrentHashMap<>();

        FilteringWatch(io.fabric8.mockwebserver.http.WebSocketListener inner, java.util.function.UnaryOperator<String> transform) {
            this.inner = inner;
            this.transform = transform;
        }

        private io.fabric8.mockwebserver.http.WebSocket wrap(io.fabric8.mockwebserver.http.WebSocket socket) {
            return wrapped.computeIfAbsent(socket, s -> new io.fabric8.mockwebserver.http.WebSocket() {
                @Override
                public RecordedRequest request() {
                    return s.request();
                }

                @Override
                public boolean send(String text) {
                    String out = transform.apply(text);
                    return out == null || s.send(out);
                }

                @Override
                public boolean send(byte[] bytes) {
                    return send(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
                }

                @Override
                public boolean close(int code, String reason) {
                    return s.close(code, reason);
                }
            });
        }

        @Override
        public void onBeforeAccept(io.fabric8.mockwebserver.http.WebSocket webSocket, io.fabric8.mockwebserver.http.Response response) {
            inner.onBeforeAccept(wrap(webSocket), response);
        }

        @Override
        public void onOpen(io.fabric8.mockwebserver.http.WebSocket webSocket, io.fabric8.mockwebserver.http.Response response) {
            inner.onOpen(wrap(webSocket), response);
        }

        @Override
        public void onMessage(io.fabric8.mockwebserver.http.WebSocket webSocket, String text) {
            inner.onMessage(wrap(webSocket), text);
        }

        @Override
        public void onMessage(io.fabric8.mockwebserver.http.WebSocket webSocket, byte[] bytes) {
            inner.onMessage(wrap(webSocket), bytes);
        }

        @Override
        public void onClosing(io.fabric8.mockwebserver.http.WebSocket webSocket, int code, String reason) {
            inner.onClosing(wrap(webSocket), code, reason);
        }

        @Override
        public void onClosed(io.fabric8.mockwebserver.http.WebSocket webSocket, int code, String reason) {
            inner.onClosed(wrap(webSocket), code, reason);
            wrapped.remove(webSocket);
        }

        @Override
        public void onFailure(io.fabric8.mockwebserver.http.WebSocket webSocket, Throwable error,
                io.fabric8.mockwebserver.http.Response response) {
            inner.onFailure(wrap(webSocket), error, response);
            wrapped.remove(webSocket);
        }
    }

    private CustomResourceDefinition installCrd(InputStream yaml, String source) {
        CustomResourceDefinition crd =
                client.getKubernetesSerialization().unmarshal(yaml, CustomResourceDefinition.class);
        if (crd == null || !CRD_API_VERSION.equals(crd.getApiVersion()) || !CRD_KIND.equals(crd.getKind())) {
            throw new IllegalArgumentException(source + " does not hold an " + CRD_API_VERSION + " " + CRD_KIND);
        }
        return client.resource(crd).create();
    }
}
