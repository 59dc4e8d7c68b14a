package io.sluice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The benchmark's stand-in Kubernetes API server: an in-memory store behind the JDK's HTTP server,
 * written for the benchmark because Fabric8's mock server (used by the tests and the sandbox) scans
 * every stored object on each request and so slows down with the number of objects.
 * <p>
 * What it does: create, get, list (label and field selectors), update with resourceVersion checks
 * (409 on a stale one), JSON merge patch (RFC 7386), delete, the status subresource of Deployments,
 * Rollouts and AnalysisRuns (a write to the object keeps its status, a write to /status only changes
 * the status; metadata.generation follows spec changes), no-op updates that change nothing (no new
 * resourceVersion, no event, as on a real API server), HTTP watches with replay from a
 * resourceVersion (410 Gone once it is too old), and the discovery documents the Fabric8 client reads.
 * It plays the Deployment controller: every Deployment reports all its replicas updated and available
 * for its current generation, written as a separate status update just after the write.
 * <p>
 * What it does not do: authentication, admission, schema validation, server-side apply, strategic
 * merge and JSON patches, garbage collection, pagination, websockets (watches are answered over
 * HTTP after a 503 to the websocket upgrade, which the Fabric8 client falls back from), persistence.
 */
public final class BenchApiServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EVENT_LOG_PER_TYPE = 200_000;

    /** kind, plural, namespaced, has a status subresource. */
    record ResourceType(String groupVersion, String kind, String plural, boolean namespaced, boolean statusSubresource) {
        String key() {
            return groupVersion + "/" + plural;
        }
    }

    private static final List<ResourceType> KNOWN = List.of(
            new ResourceType("v1", "Namespace", "namespaces", false, false),
            new ResourceType("v1", "Service", "services", true, false),
            new ResourceType("v1", "Secret", "secrets", true, false),
            new ResourceType("v1", "ConfigMap", "configmaps", true, false),
            new ResourceType("v1", "Event", "events", true, false),
            new ResourceType("v1", "Pod", "pods", true, true),
            new ResourceType("apps/v1", "Deployment", "deployments", true, true),
            new ResourceType("apps/v1", "ReplicaSet", "replicasets", true, true),
            new ResourceType("events.k8s.io/v1", "Event", "events", true, false),
            new ResourceType("coordination.k8s.io/v1", "Lease", "leases", true, false),
            new ResourceType("sluice.io/v1alpha1", "Rollout", "rollouts", true, true),
            new ResourceType("sluice.io/v1alpha1", "AnalysisRun", "analysisruns", true, true),
            new ResourceType("sluice.io/v1alpha1", "AnalysisTemplate", "analysistemplates", true, false),
            new ResourceType("sluice.io/v1alpha1", "ClusterAnalysisTemplate", "clusteranalysistemplates", false, false),
            new ResourceType("networking.istio.io/v1", "VirtualService", "virtualservices", true, false),
            new ResourceType("networking.istio.io/v1", "DestinationRule", "destinationrules", true, false),
            new ResourceType("networking.istio.io/v1beta1", "VirtualService", "virtualservices", true, false),
            new ResourceType("networking.istio.io/v1beta1", "DestinationRule", "destinationrules", true, false),
            new ResourceType("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", false, false));

    /** One stored version of an object: never changed once stored. */
    private record Stored(ObjectNode object, byte[] bytes, String namespace, Map<String, String> labels, long rv) {
    }

    private record Event(long rv, byte[] line, String namespace, Map<String, String> labels, String name) {
    }

    private static final class Watch {
        final String type;
        final String namespace;
        final Predicate<Event> selector;
        final Exchange exchange;
        volatile boolean open = true;

        Watch(String type, String namespace, Predicate<Event> selector, Exchange exchange) {
            this.exchange = exchange;
            this.type = type;
            this.namespace = namespace;
            this.selector = selector;
        }
    }

    /** One request, over plain HTTP or (for watches) a websocket. */
    private interface Exchange {
        String method();

        String path();

        String query();

        boolean websocket();

        String header(String name);

        byte[] body();

        void respond(int code, byte[] body);

        /** Streams watch events: each is one line (HTTP) or one text message (websocket). */
        void stream(Predicate<byte[]> sinkRegistered, Runnable onClose);

        void write(byte[] line);

        void end();
    }

    private record HttpExchange(HttpServerRequest req, byte[] body) implements Exchange {
        public String method() {
            return req.method().name();
        }

        public String path() {
            return req.path();
        }

        public String query() {
            return req.query();
        }

        public boolean websocket() {
            return false;
        }

        public String header(String name) {
            return req.getHeader(name);
        }

        public void respond(int code, byte[] b) {
            req.response().setStatusCode(code).putHeader("Content-Type", "application/json").end(Buffer.buffer(b));
        }

        public void stream(Predicate<byte[]> ignored, Runnable onClose) {
            req.response().setStatusCode(200).putHeader("Content-Type", "application/json").setChunked(true);
            req.response().closeHandler(v -> onClose.run());
            req.response().write(Buffer.buffer());
        }

        public void write(byte[] line) {
            req.response().write(Buffer.buffer(line));
        }

        public void end() {
            if (!req.response().ended()) {
                req.response().end();
            }
        }
    }

    private record SocketExchange(ServerWebSocket ws) implements Exchange {
        public String method() {
            return "GET";
        }

        public String path() {
            return ws.path();
        }

        public String query() {
            return ws.query();
        }

        public boolean websocket() {
            return true;
        }

        public String header(String name) {
            return ws.headers().get(name);
        }

        public byte[] body() {
            return new byte[0];
        }

        public void respond(int code, byte[] b) {
            ws.writeTextMessage(new String(b, StandardCharsets.UTF_8));
            ws.close();
        }

        public void stream(Predicate<byte[]> ignored, Runnable onClose) {
            ws.closeHandler(v -> onClose.run());
        }

        public void write(byte[] line) {
            ws.writeTextMessage(new String(line, 0, line.length - 1, StandardCharsets.UTF_8));
        }

        public void end() {
            if (!ws.isClosed()) {
                ws.close();
            }
        }
    }

    private final Vertx vertx;
    private final HttpServer http;
    private final ExecutorService deploymentController = Executors.newSingleThreadExecutor();
    private final Object writeLock = new Object();
    private final Map<String, ConcurrentSkipListMap<String, Stored>> objects = new ConcurrentHashMap<>();
    private final Map<String, ArrayDeque<Event>> eventLog = new HashMap<>();
    private final Map<String, List<Watch>> watches = new HashMap<>();
    private long resourceVersion = 1000;
    private final java.util.concurrent.atomic.AtomicLong requests = new java.util.concurrent.atomic.AtomicLong();

    private BenchApiServer(int port) throws IOException {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setWorkerPoolSize(4));
        http = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port)
                .setMaxWebSocketMessageSize(64 * 1024 * 1024).setMaxWebSocketFrameSize(64 * 1024 * 1024));
        http.webSocketHandler(ws -> handle(new SocketExchange(ws)));
        http.requestHandler(req -> req.body().onSuccess(b -> handle(new HttpExchange(req, b.getBytes()))));
        try {
            http.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IOException("cannot listen on port " + port, e);
        }
    }

    public static BenchApiServer start(int port) throws IOException {
        return new BenchApiServer(port);
    }

    public int port() {
        return http.actualPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    /** Runs the server until killed; writes the port to the file given as the first argument. */
    public static void main(String[] args) throws Exception {
        BenchApiServer server = start(0);
        Path portFile = Path.of(args[0]);
        Files.writeString(portFile.resolveSibling(portFile.getFileName() + ".tmp"), Integer.toString(server.port()));
        Files.move(portFile.resolveSibling(portFile.getFileName() + ".tmp"), portFile,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        System.out.println("bench API server on " + server.url());
        Thread.currentThread().join();
    }

    @Override
    public void close() {
        synchronized (writeLock) {
            watches.values().forEach(ws -> ws.forEach(w -> w.exchange.end()));
        }
        http.close();
        vertx.close();
        deploymentController.shutdownNow();
    }

    // ---------------------------------------------------------------------------------------------- requests

    private record Target(String groupVersion, String namespace, String plural, String name, String subresource) {
        String typeKey() {
            return groupVersion + "/" + plural;
        }
    }

    private static final boolean ACCESS_LOG = Boolean.getBoolean("bench.api.log");

    private void handle(Exchange ex) {
        requests.incrementAndGet();
        if (ACCESS_LOG) {
            System.out.println(java.time.LocalTime.now() + " " + ex.method() + " " + ex.path() + (ex.query() == null ? "" : "?" + ex.query())
                    + (ex.websocket() ? " (upgrade)" : ""));
        }
        try {
            String path = ex.path();
            Map<String, String> query = query(ex.query());
            String method = ex.method();
            if (path.equals("/version")) {
                respond(ex, 200, "{\"major\":\"1\",\"minor\":\"33\",\"gitVersion\":\"v1.33.0-sluice-bench\"}".getBytes());
                return;
            }
            if (path.equals("/api")) {
                respond(ex, 200, "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"]}".getBytes());
                return;
            }
            if (path.equals("/apis")) {
                respond(ex, 200, groupList());
                return;
            }
            String[] segs = path.replaceAll("^/+|/+$", "").split("/");
            int start;
            String gv;
            if (segs[0].equals("api") && segs.length >= 2) {
                gv = segs[1];
                start = 2;
            } else if (segs[0].equals("apis") && segs.length >= 3) {
                gv = segs[1] + "/" + segs[2];
                start = 3;
            } else {
                respond(ex, 404, status(404, "NotFound", "no such path " + path));
                return;
            }
            if (segs.length == start) {
                respond(ex, 200, resourceList(gv));
                return;
            }
            String[] rest = java.util.Arrays.copyOfRange(segs, start, segs.length);
            Target t;
            if (rest[0].equals("namespaces") && rest.length >= 3) {
                t = new Target(gv, dec(rest[1]), rest[2], rest.length > 3 ? dec(rest[3]) : null, rest.length > 4 ? rest[4] : null);
            } else {
                t = new Target(gv, null, rest[0], rest.length > 1 ? dec(rest[1]) : null, rest.length > 2 ? rest[2] : null);
            }
            switch (method) {
                case "GET" -> {
                    if (t.name() != null) {
                        Stored s = get(t.typeKey(), t.namespace(), t.name());
                        if (s == null) {
                            respond(ex, 404, notFound(t));
                        } else {
                            respond(ex, 200, s.bytes());
                        }
                    } else if ("true".equals(query.get("watch")) || "1".equals(query.get("watch"))) {
                        watch(ex, t, query);
                    } else {
                        respond(ex, 200, list(t, query));
                    }
                }
                case "POST" -> create(ex, t, body(ex));
                case "PUT" -> update(ex, t, body(ex), false);
                case "PATCH" -> {
                    String type = Objects.toString(ex.header("Content-Type"), "");
                    if (!type.startsWith("application/merge-patch+json") && !type.startsWith("application/strategic-merge-patch+json")) {
                        respond(ex, 415, status(415, "UnsupportedMediaType", "only merge patches are served, not " + type));
                        return;
                    }
                    update(ex, t, body(ex), true);
                }
                case "DELETE" -> delete(ex, t);
                default -> respond(ex, 405, status(405, "MethodNotAllowed", method));
            }
        } catch (IOException | RuntimeException e) {
            if (ACCESS_LOG) {
                e.printStackTrace(System.out);
            }
            try {
                respond(ex, e instanceof IOException ? 400 : 500, status(500, "InternalError", String.valueOf(e)));
            } catch (IOException | RuntimeException ignored) {
                // the client went away
            }
        }
    }

    private static String dec(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq < 0) {
                out.put(dec(pair), "");
            } else {
                out.put(dec(pair.substring(0, eq)), dec(pair.substring(eq + 1)));
            }
        }
        return out;
    }

    private static ObjectNode body(Exchange ex) throws IOException {
        JsonNode node = JSON.readTree(ex.body());
        if (!(node instanceof ObjectNode o)) {
            throw new IllegalArgumentException("the body is not a JSON object");
        }
        return o;
    }

    private static void respond(Exchange ex, int code, byte[] body) throws IOException {
        ex.respond(code, body);
    }

    private static byte[] status(int code, String reason, String message) {
        ObjectNode s = JSON.createObjectNode();
        s.put("kind", "Status").put("apiVersion", "v1").put("status", "Failure").put("message", message)
                .put("reason", reason).put("code", code);
        s.putObject("metadata");
        return bytes(s);
    }

    private static byte[] notFound(Target t) {
        return status(404, "NotFound", t.plural() + " \"" + t.name() + "\" not found");
    }

    private static byte[] bytes(JsonNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------------------------------------- discovery

    private static byte[] groupList() {
        ObjectNode list = JSON.createObjectNode().put("kind", "APIGroupList").put("apiVersion", "v1");
        ArrayNode groups = list.putArray("groups");
        Map<String, List<String>> versions = new LinkedHashMap<>();
        for (ResourceType r : KNOWN) {
            if (r.groupVersion().contains("/")) {
                String[] gv = r.groupVersion().split("/");
                List<String> vs = versions.computeIfAbsent(gv[0], g -> new ArrayList<>());
                if (!vs.contains(gv[1])) {
                    vs.add(gv[1]);
                }
            }
        }
        versions.forEach((group, vs) -> {
            ObjectNode g = groups.addObject().put("name", group);
            ArrayNode arr = g.putArray("versions");
            vs.forEach(v -> arr.addObject().put("groupVersion", group + "/" + v).put("version", v));
            g.putObject("preferredVersion").put("groupVersion", group + "/" + vs.getFirst()).put("version", vs.getFirst());
        });
        return bytes(list);
    }

    private static byte[] resourceList(String gv) {
        ObjectNode list = JSON.createObjectNode().put("kind", "APIResourceList").put("apiVersion", "v1")
                .put("groupVersion", gv);
        ArrayNode resources = list.putArray("resources");
        for (ResourceType r : KNOWN) {
            if (r.groupVersion().equals(gv)) {
                ObjectNode res = resources.addObject().put("name", r.plural())
                        .put("singularName", r.kind().toLowerCase()).put("namespaced", r.namespaced()).put("kind", r.kind());
                ArrayNode verbs = res.putArray("verbs");
                List.of("create", "delete", "get", "list", "patch", "update", "watch").forEach(verbs::add);
                if (r.statusSubresource()) {
                    ObjectNode st = resources.addObject().put("name", r.plural() + "/status").put("singularName", "")
                            .put("namespaced", r.namespaced()).put("kind", r.kind());
                    st.putArray("verbs").add("get").add("patch").add("update");
                }
            }
        }
        return bytes(list);
    }

    private static boolean hasStatusSubresource(String typeKey) {
        return KNOWN.stream().anyMatch(r -> r.statusSubresource() && r.key().equals(typeKey));
    }

    private static String listKind(String typeKey, Iterable<Stored> items) {
        for (ResourceType r : KNOWN) {
            if (r.key().equals(typeKey)) {
                return r.kind() + "List";
            }
        }
        for (Stored s : items) {
            return s.object().path("kind").asText("") + "List";
        }
        return "List";
    }

    // ---------------------------------------------------------------------------------------------- store

    private static String id(String namespace, String name) {
        return (namespace == null ? "" : namespace) + "/" + name;
    }

    private Stored get(String type, String namespace, String name) {
        var m = objects.get(type);
        return m == null ? null : m.get(id(namespace, name));
    }

    private byte[] list(Target t, Map<String, String> query) {
        Predicate<Event> selector = selector(query);
        List<Stored> items = new ArrayList<>();
        long rv;
        synchronized (writeLock) {
            rv = resourceVersion;
            var m = objects.get(t.typeKey());
            if (m != null) {
                Iterable<Stored> range = t.namespace() == null ? m.values()
                        : m.subMap(t.namespace() + "/", t.namespace() + "/\uffff").values();
                for (Stored s : range) {
                    if (selector.test(new Event(s.rv(), null, s.namespace(), s.labels(), s.object().path("metadata").path("name").asText()))) {
                        items.add(s);
                    }
                }
            }
        }
        var out = new java.io.ByteArrayOutputStream(items.size() * 2048 + 256);
        String gv = t.groupVersion();
        String head = "{\"apiVersion\":\"" + gv + "\",\"kind\":\"" + listKind(t.typeKey(), items)
                + "\",\"metadata\":{\"resourceVersion\":\"" + rv + "\"},\"items\":[";
        out.writeBytes(head.getBytes(StandardCharsets.UTF_8));
        boolean first = true;
        for (Stored s : items) {
            if (!first) {
                out.write(',');
            }
            first = false;
            out.writeBytes(s.bytes());
        }
        out.writeBytes("]}".getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static Predicate<Event> selector(Map<String, String> query) {
        Predicate<Event> p = e -> true;
        String labels = query.get("labelSelector");
        if (labels != null && !labels.isBlank()) {
            for (String term : labels.split(",")) {
                String t = term.strip();
                if (t.contains("!=")) {
                    String[] kv = t.split("!=", 2);
                    p = p.and(e -> !kv[1].equals(e.labels().get(kv[0])));
                } else if (t.contains("=")) {
                    String[] kv = t.split("==?", 2);
                    p = p.and(e -> kv[1].equals(e.labels().get(kv[0])));
                } else if (t.startsWith("!")) {
                    p = p.and(e -> !e.labels().containsKey(t.substring(1)));
                } else if (t.contains(" in ")) {
                    String key = t.substring(0, t.indexOf(" in ")).strip();
                    List<String> values = List.of(t.substring(t.indexOf('(') + 1, t.indexOf(')')).split("\\s*,\\s*"));
                    p = p.and(e -> values.contains(e.labels().get(key)));
                } else {
                    p = p.and(e -> e.labels().containsKey(t));
                }
            }
        }
        String fields = query.get("fieldSelector");
        if (fields != null && !fields.isBlank()) {
            for (String term : fields.split(",")) {
                String[] kv = term.strip().split("==?", 2);
                if (kv[0].equals("metadata.name")) {
                    p = p.and(e -> kv[1].equals(e.name()));
                } else if (kv[0].equals("metadata.namespace")) {
                    p = p.and(e -> kv[1].equals(e.namespace()));
                }
            }
        }
        return p;
    }

    private static Map<String, String> labels(ObjectNode o) {
        JsonNode l = o.path("metadata").path("labels");
        if (!l.isObject() || l.isEmpty()) {
            return Map.of();
        }
        Map<String, String> out = new HashMap<>();
        l.fields().forEachRemaining(f -> out.put(f.getKey(), f.getValue().asText()));
        return out;
    }

    private void create(Exchange ex, Target t, ObjectNode o) throws IOException {
        ObjectNode meta = o.with("metadata");
        String name = meta.path("name").asText("");
        if (name.isEmpty() && meta.hasNonNull("generateName")) {
            name = meta.get("generateName").asText() + UUID.randomUUID().toString().substring(0, 5);
            meta.put("name", name);
        }
        if (name.isEmpty()) {
            respond(ex, 422, status(422, "Invalid", "metadata.name is required"));
            return;
        }
        if (t.namespace() != null) {
            meta.put("namespace", t.namespace());
        }
        meta.put("uid", UUID.randomUUID().toString());
        meta.put("creationTimestamp", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        meta.put("generation", 1);
        if (hasStatusSubresource(t.typeKey())) {
            o.remove("status");
        }
        Stored stored;
        synchronized (writeLock) {
            if (get(t.typeKey(), t.namespace(), name) != null) {
                respond(ex, 409, status(409, "AlreadyExists", t.plural() + " \"" + name + "\" already exists"));
                return;
            }
            stored = store(t.typeKey(), t.namespace(), name, o, "ADDED");
        }
        afterWrite(t, stored);
        respond(ex, 201, stored.bytes());
    }

    private void update(Exchange ex, Target t, ObjectNode body, boolean patch) throws IOException {
        if (t.name() == null) {
            respond(ex, 405, status(405, "MethodNotAllowed", "update needs a name"));
            return;
        }
        boolean statusOnly = "status".equals(t.subresource());
        Stored stored;
        synchronized (writeLock) {
            Stored current = get(t.typeKey(), t.namespace(), t.name());
            if (current == null) {
                respond(ex, 404, notFound(t));
                return;
            }
            String wantedRv = body.path("metadata").path("resourceVersion").asText("");
            if (!wantedRv.isEmpty() && !wantedRv.equals(Long.toString(current.rv()))) {
                respond(ex, 409, status(409, "Conflict", "Operation cannot be fulfilled on " + t.plural() + " \""
                        + t.name() + "\": the object has been modified; please apply your changes to the latest version and try again"));
                return;
            }
            ObjectNode proposed = patch ? (ObjectNode) mergePatch(current.object().deepCopy(), body) : body;
            ObjectNode next = current.object().deepCopy();
            boolean subresources = hasStatusSubresource(t.typeKey());
            if (statusOnly) {
                if (proposed.has("status")) {
                    next.set("status", proposed.get("status"));
                } else {
                    next.remove("status");
                }
            } else {
                JsonNode keptStatus = next.get("status");
                next = proposed.deepCopy();
                ObjectNode meta = next.with("metadata");
                ObjectNode currentMeta = (ObjectNode) current.object().get("metadata");
                for (String owned : List.of("uid", "creationTimestamp", "generation", "namespace", "name")) {
                    if (currentMeta.has(owned)) {
                        meta.set(owned, currentMeta.get(owned));
                    }
                }
                if (subresources) {
                    if (keptStatus != null) {
                        next.set("status", keptStatus);
                    } else {
                        next.remove("status");
                    }
                }
                if (!Objects.equals(next.get("spec"), current.object().get("spec"))) {
                    meta.put("generation", currentMeta.path("generation").asLong(1) + 1);
                }
            }
            next.with("metadata").put("resourceVersion", Long.toString(current.rv()));
            if (next.equals(current.object())) {
                respond(ex, 200, current.bytes()); // a no-op: no new version, no event
                return;
            }
            stored = store(t.typeKey(), t.namespace(), t.name(), next, "MODIFIED");
        }
        afterWrite(t, stored);
        respond(ex, 200, stored.bytes());
    }

    private static JsonNode mergePatch(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) {
            return patch.deepCopy();
        }
        ObjectNode out = target instanceof ObjectNode o ? o : JSON.createObjectNode();
        patch.fields().forEachRemaining(f -> {
            if (f.getValue().isNull()) {
                out.remove(f.getKey());
            } else {
                out.set(f.getKey(), mergePatch(out.path(f.getKey()), f.getValue()));
            }
        });
        return out;
    }

    private void delete(Exchange ex, Target t) throws IOException {
        Stored removed;
        synchronized (writeLock) {
            var m = objects.get(t.typeKey());
            removed = m == null || t.name() == null ? null : m.remove(id(t.namespace(), t.name()));
            if (removed != null) {
                long rv = ++resourceVersion;
                ObjectNode last = removed.object().deepCopy();
                last.with("metadata").put("resourceVersion", Long.toString(rv));
                emit(t.typeKey(), new Event(rv, eventLine("DELETED", bytes(last)), removed.namespace(), removed.labels(),
                        t.name()));
            }
        }
        if (removed == null) {
            respond(ex, 404, notFound(t));
        } else {
            respond(ex, 200, removed.bytes());
        }
    }

    /** Stores a new version under the write lock and tells the watches. */
    private Stored store(String type, String namespace, String name, ObjectNode o, String eventType) {
        long rv = ++resourceVersion;
        o.with("metadata").put("resourceVersion", Long.toString(rv));
        byte[] b = bytes(o);
        Map<String, String> labels = labels(o);
        Stored s = new Stored(o, b, namespace, labels, rv);
        objects.computeIfAbsent(type, k -> new ConcurrentSkipListMap<>()).put(id(namespace, name), s);
        emit(type, new Event(rv, eventLine(eventType, b), namespace, labels, name));
        return s;
    }

    private static byte[] eventLine(String type, byte[] object) {
        byte[] head = ("{\"type\":\"" + type + "\",\"object\":").getBytes(StandardCharsets.UTF_8);
        byte[] line = new byte[head.length + object.length + 2];
        System.arraycopy(head, 0, line, 0, head.length);
        System.arraycopy(object, 0, line, head.length, object.length);
        line[line.length - 2] = '}';
        line[line.length - 1] = '\n';
        return line;
    }

    private void emit(String type, Event e) {
        ArrayDeque<Event> log = eventLog.computeIfAbsent(type, k -> new ArrayDeque<>());
        log.addLast(e);
        if (log.size() > EVENT_LOG_PER_TYPE) {
            log.removeFirst();
        }
        List<Watch> ws = watches.get(type);
        if (ws == null) {
            return;
        }
        for (Iterator<Watch> it = ws.iterator(); it.hasNext(); ) {
            Watch w = it.next();
            if (!w.open) {
                it.remove();
            } else if (matches(w, e)) {
                w.exchange.write(e.line());
            }
        }
    }

    private static boolean matches(Watch w, Event e) {
        return (w.namespace == null || w.namespace.equals(e.namespace())) && w.selector.test(e);
    }

    private void watch(Exchange ex, Target t, Map<String, String> query) {
        Watch w = new Watch(t.typeKey(), t.namespace(), selector(query), ex);
        String from = query.getOrDefault("resourceVersion", "");
        ex.stream(null, () -> w.open = false);
        synchronized (writeLock) {
            if (!from.isEmpty() && !from.equals("0")) {
                long since = Long.parseLong(from);
                ArrayDeque<Event> log = eventLog.getOrDefault(t.typeKey(), new ArrayDeque<>());
                if (!log.isEmpty() && log.peekFirst().rv() > since + 1 && log.size() >= EVENT_LOG_PER_TYPE) {
                    ex.write(("{\"type\":\"ERROR\",\"object\":" + new String(status(410, "Expired", "too old resource version: "
                            + from), StandardCharsets.UTF_8) + "}\n").getBytes(StandardCharsets.UTF_8));
                    ex.end();
                    return;
                }
                for (Event e : log) {
                    if (e.rv() > since && matches(w, e)) {
                        ex.write(e.line());
                    }
                }
            }
            watches.computeIfAbsent(t.typeKey(), k -> new ArrayList<>()).add(w);
        }
        if (query.containsKey("timeoutSeconds")) {
            vertx.setTimer(TimeUnit.SECONDS.toMillis(Long.parseLong(query.get("timeoutSeconds"))), id -> {
                w.open = false;
                ex.end();
            });
        }
    }

    // ---------------------------------------------------------------------------------------------- Deployment controller

    private void afterWrite(Target t, Stored s) {
        if (t.typeKey().equals("apps/v1/deployments") && !"status".equals(t.subresource())) {
            String name = s.object().path("metadata").path("name").asText();
            deploymentController.execute(() -> markAvailable(t.namespace(), name));
        }
    }

    /** Reports the Deployment's replicas all updated and available for its current generation. */
    private void markAvailable(String namespace, String name) {
        synchronized (writeLock) {
            Stored current = get("apps/v1/deployments", namespace, name);
            if (current == null) {
                return;
            }
            ObjectNode next = current.object().deepCopy();
            int replicas = next.path("spec").path("replicas").asInt(1);
            ObjectNode status = JSON.createObjectNode();
            status.put("observedGeneration", next.path("metadata").path("generation").asLong(1));
            status.put("replicas", replicas).put("updatedReplicas", replicas).put("readyReplicas", replicas)
                    .put("availableReplicas", replicas);
            if (status.equals(next.get("status"))) {
                return;
            }
            next.set("status", status);
            store("apps/v1/deployments", namespace, name, next, "MODIFIED");
        }
    }

    /** How many requests were served (for the harness's log). */
    public long requestCount() {
        return requests.get();
    }
}
