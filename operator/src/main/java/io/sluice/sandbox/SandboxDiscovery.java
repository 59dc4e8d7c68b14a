package io.sluice.sandbox;

import io.fabric8.kubernetes.api.model.APIGroup;
import io.fabric8.kubernetes.api.model.APIGroupBuilder;
import io.fabric8.kubernetes.api.model.APIGroupListBuilder;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceBuilder;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.api.model.APIVersionsBuilder;
import io.fabric8.kubernetes.api.model.GroupVersionForDiscoveryBuilder;
import io.fabric8.kubernetes.api.model.ServerAddressByClientCIDRBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionList;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The discovery documents of the sandbox API, so that kubectl (and any client that discovers before it
 * acts) can use it: {@code /version}, {@code /api}, {@code /api/v1}, {@code /apis}, {@code /apis/<group>}
 * and {@code /apis/<group>/<version>}. They list the built-in kinds Sluice and its users touch, Istio's
 * networking kinds (unless their CRDs are installed), and every CustomResourceDefinition stored in the
 * sandbox, with its short names, categories and status subresource, read at each request. Answers are
 * the classic (unaggregated) discovery format, which kubectl falls back to.
 */
final class SandboxDiscovery {
    static final String KUBERNETES_MAJOR = "1";
    static final String KUBERNETES_MINOR = "32";
    private static final List<String> ALL_VERBS =
            List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");
    private static final List<String> STATUS_VERBS = List.of("get", "patch", "update");
    private static final String CRD_LIST = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

    /** One kind the sandbox serves. */
    record Kind(String group, String version, String plural, String singular, String kind, boolean namespaced,
            List<String> shortNames, List<String> categories, boolean statusSubresource,
            List<CustomResourceColumnDefinition> printerColumns) {
        Kind(String group, String version, String plural, String singular, String kind, boolean namespaced,
                List<String> shortNames, List<String> categories, boolean statusSubresource) {
            this(group, version, plural, singular, kind, namespaced, shortNames, categories, statusSubresource, List.of());
        }

        String groupVersion() {
            return group.isEmpty() ? version : group + "/" + version;
        }
    }

    private static final List<Kind> BUILT_IN = List.of(
            core("configmaps", "ConfigMap", true, List.of("cm")),
            core("endpoints", "Endpoints", true, List.of("ep")),
            core("events", "Event", true, List.of("ev")),
            core("limitranges", "LimitRange", true, List.of("limits")),
            core("namespaces", "Namespace", false, List.of("ns")),
            core("nodes", "Node", false, List.of("no")),
            core("persistentvolumeclaims", "PersistentVolumeClaim", true, List.of("pvc")),
            core("persistentvolumes", "PersistentVolume", false, List.of("pv")),
            withAll(core("pods", "Pod", true, List.of("po"))),
            core("resourcequotas", "ResourceQuota", true, List.of("quota")),
            core("secrets", "Secret", true, List.of()),
            core("serviceaccounts", "ServiceAccount", true, List.of("sa")),
            withAll(core("services", "Service", true, List.of("svc"))),
            kind("apps", "v1", "controllerrevisions", "ControllerRevision", true, List.of(), List.of(), false),
            kind("apps", "v1", "daemonsets", "DaemonSet", true, List.of("ds"), List.of("all"), true),
            kind("apps", "v1", "deployments", "Deployment", true, List.of("deploy"), List.of("all"), true),
            kind("apps", "v1", "replicasets", "ReplicaSet", true, List.of("rs"), List.of("all"), true),
            kind("apps", "v1", "statefulsets", "StatefulSet", true, List.of("sts"), List.of("all"), true),
            kind("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, List.of("hpa"),
                    List.of("all"), true),
            kind("batch", "v1", "cronjobs", "CronJob", true, List.of("cj"), List.of("all"), true),
            kind("batch", "v1", "jobs", "Job", true, List.of(), List.of("all"), true),
            kind("coordination.k8s.io", "v1", "leases", "Lease", true, List.of(), List.of(), false),
            kind("events.k8s.io", "v1", "events", "Event", true, List.of("ev"), List.of(), false),
            kind("networking.k8s.io", "v1", "ingresses", "Ingress", true, List.of("ing"), List.of(), true),
            kind("networking.k8s.io", "v1", "ingressclasses", "IngressClass", false, List.of(), List.of(), false),
            kind("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, List.of("netpol"), List.of(), false),
            kind("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, List.of("pdb"), List.of(), true),
            kind("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, List.of(), List.of(), false),
            kind("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, List.of(), List.of(), false),
            kind("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, List.of(), List.of(), false),
            kind("rbac.authorization.k8s.io", "v1", "roles", "Role", true, List.of(), List.of(), false),
            kind("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false,
                    List.of("crd", "crds"), List.of("api-extensions"), true));

    /** Istio's networking kinds, which Sluice writes even where Istio's CRDs are not installed (as in the sandbox). */
    private static final List<Kind> ISTIO = List.of(
            istio("destinationrules", "DestinationRule", List.of("dr")),
            istio("gateways", "Gateway", List.of("gw")),
            istio("serviceentries", "ServiceEntry", List.of("se")),
            istio("virtualservices", "VirtualService", List.of("vs")));

    private final KubernetesSerialization json;
    private final Supplier<String> crdListJson;
    private final String serverAddress;

    /**
     * @param crdListJson the stored CustomResourceDefinitions as a JSON list, read in-process (never over
     *                    HTTP: the server must not wait on itself)
     */
    SandboxDiscovery(KubernetesSerialization json, Supplier<String> crdListJson, String serverAddress) {
        this.json = json;
        this.crdListJson = crdListJson;
        this.serverAddress = serverAddress;
    }

    static String crdListPath() {
        return CRD_LIST;
    }

    /** An HTTP answer: a JSON document, or a 404 Status. */
    record Answer(int code, String body) {
    }

    /** The answer to a GET of {@code path} (query ignored), or empty when the path is not a discovery path. */
    Optional<Answer> answer(String path) {
        int query = path.indexOf('?');
        String p = query >= 0 ? path.substring(0, query) : path;
        if (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        switch (p) {
            case "/version":
                return ok(json.asJson(version()));
            case "/api":
                return ok(json.asJson(new APIVersionsBuilder().withVersions("v1")
                        .withServerAddressByClientCIDRs(new ServerAddressByClientCIDRBuilder().withClientCIDR("0.0.0.0/0")
                                .withServerAddress(serverAddress).build()).build()));
            case "/apis":
                return ok(json.asJson(new APIGroupListBuilder().withGroups(groups().values().stream()
                        .map(this::group).toList()).build()));
            default:
                break;
        }
        String discoveryPath = p;
        String[] parts = p.split("/");
        if (parts.length == 3 && parts[1].equals("api")) {
            return Optional.of(resourceList("", parts[2]).map(this::okAnswer).orElseGet(() -> notFound(discoveryPath)));
        }
        if (parts.length == 3 && parts[1].equals("apis")) {
            List<Kind> kinds = groups().get(parts[2]);
            return Optional.of(kinds == null ? notFound(discoveryPath) : okAnswer(json.asJson(group(kinds))));
        }
        if (parts.length == 4 && parts[1].equals("apis")) {
            return Optional.of(resourceList(parts[2], parts[3]).map(this::okAnswer).orElseGet(() -> notFound(discoveryPath)));
        }
        return Optional.empty();
    }

    /**
     * A {@code meta.k8s.io/v1} Table of the objects at {@code path}, as kubectl asks for ({@code Accept: ...;as=Table}):
     * custom resources with the columns their CRD declares (additionalPrinterColumns), and core Events with
     * the API server's columns; empty when {@code path} is not a list or get of such objects.
     *
     * @param read reads a path from the store in-process, returning its status code and JSON
     */
    Optional<Answer> table(String path, Function<String, Answer> read, Instant now) {
        Optional<List<Column>> columns = tableColumns(path);
        if (columns.isEmpty()) {
            return Optional.empty();
        }
        Answer stored = read.apply(path);
        if (stored.code() != 200) {
            return Optional.of(stored);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> doc = json.unmarshal(stored.body(), Map.class);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> items = doc.containsKey("items") ? (List<Map<String, Object>>) doc.get("items")
                : List.of(doc);
        @SuppressWarnings("unchecked")
        Map<String, Object> listMeta = doc.containsKey("items") && doc.get("metadata") instanceof Map<?, ?> m
                ? (Map<String, Object>) m : Map.of();
        return ok(json.asJson(table(columns.get(), items, listMeta, now)));
    }

    /**
     * The object of one watch event as the Table of one row that the API server sends when the watch asked
     * for {@code as=Table}; empty when {@code path} is not a watch of objects {@link #table} renders.
     */
    Optional<Map<String, Object>> watchTable(String path, Map<String, Object> object, Instant now) {
        return tableColumns(path).map(columns -> table(columns, List.of(object), Map.of(), now));
    }

    /** One column of a Table: its definition and how a cell is read from an object. */
    record Column(Map<String, Object> definition, Function<Map<String, Object>, Object> cell) {
        static Column of(String name, String type, String format, int priority, String description,
                Function<Map<String, Object>, Object> cell) {
            Map<String, Object> column = new LinkedHashMap<>();
            column.put("name", name);
            column.put("type", type);
            column.put("format", format);
            column.put("description", description);
            column.put("priority", priority);
            return new Column(column, cell);
        }
    }

    private Map<String, Object> table(List<Column> columns, List<Map<String, Object>> items, Map<String, Object> listMeta,
            Instant now) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Map<String, Object> item : items) {
            List<Object> cells = new ArrayList<>();
            for (Column c : columns) {
                cells.add(c.cell().apply(item));
            }
            Map<String, Object> partial = new LinkedHashMap<>();
            partial.put("kind", "PartialObjectMetadata");
            partial.put("apiVersion", "meta.k8s.io/v1");
            partial.put("metadata", item.get("metadata"));
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("cells", cells);
            row.put("object", partial);
            rows.add(row);
        }
        Map<String, Object> table = new LinkedHashMap<>();
        table.put("kind", "Table");
        table.put("apiVersion", "meta.k8s.io/v1");
        table.put("metadata", listMeta);
        table.put("columnDefinitions", columns.stream().map(Column::definition).toList());
        table.put("rows", rows);
        return table;
    }

    /** The Table columns of the objects at {@code path} (a list, get or watch), if it renders them. */
    private Optional<List<Column>> tableColumns(String path) {
        int query = path.indexOf('?');
        String p = query >= 0 ? path.substring(0, query) : path;
        String[] parts = p.split("/");
        // /api/v1[/namespaces/<ns>]/events[/<name>]
        if (parts.length >= 4 && parts[1].equals("api") && parts[2].equals("v1")) {
            int at = parts[3].equals("namespaces") && parts.length >= 6 ? 5 : 3;
            if (parts.length <= at + 2 && parts[at].equals("events")) {
                return Optional.of(eventColumns());
            }
            return Optional.empty();
        }
        // /apis/<group>/<version>[/namespaces/<ns>]/<plural>[/<name>]
        if (parts.length < 5 || !parts[1].equals("apis")) {
            return Optional.empty();
        }
        int at = 4;
        if (parts[4].equals("namespaces") && parts.length >= 7) {
            at = 6;
        }
        if (parts.length > at + 2) {
            return Optional.empty(); // a subresource
        }
        String group = parts[2];
        String version = parts[3];
        String plural = parts[at];
        Optional<Kind> kind = crdKinds().stream().filter(k -> k.group().equals(group) && k.version().equals(version)
                && k.plural().equals(plural) && !k.printerColumns().isEmpty()).findFirst();
        if (kind.isEmpty()) {
            return Optional.empty();
        }
        Instant now = Instant.now();
        List<Column> columns = new ArrayList<>();
        columns.add(Column.of("Name", "string", "name", 0, "Name must be unique within a namespace.",
                item -> path(item, ".metadata.name")));
        for (CustomResourceColumnDefinition c : kind.get().printerColumns()) {
            columns.add(Column.of(c.getName(), c.getType(), c.getFormat() == null ? "" : c.getFormat(),
                    c.getPriority() == null ? 0 : c.getPriority(), c.getDescription() == null ? "" : c.getDescription(),
                    item -> {
                        Object value = path(item, c.getJsonPath());
                        return "date".equals(c.getType()) && value instanceof String t ? humanAge(t, now) : value;
                    }));
        }
        return Optional.of(columns);
    }

    /** The columns the API server prints core Events with (kubectl get events). */
    private static List<Column> eventColumns() {
        Instant now = Instant.now();
        return List.of(
                Column.of("Last Seen", "string", "", 0, "Time when last this event was observed.", e -> lastSeen(e, now)),
                Column.of("Type", "string", "", 0, "Type of this event.", e -> text(e, ".type")),
                Column.of("Reason", "string", "", 0, "Reason is why the action was taken.", e -> text(e, ".reason")),
                Column.of("Object", "string", "", 0, "The object this event is about.",
                        e -> text(e, ".involvedObject.kind").toLowerCase(java.util.Locale.ROOT) + "/"
                                + text(e, ".involvedObject.name")),
                Column.of("Subobject", "string", "", 1, "The subobject this event is about.",
                        e -> text(e, ".involvedObject.fieldPath")),
                Column.of("Source", "string", "", 1, "The component reporting this event.",
                        e -> text(e, ".source.component")),
                Column.of("Message", "string", "", 0, "A human-readable description of the status of this operation.",
                        e -> text(e, ".message")),
                Column.of("First Seen", "string", "", 1, "The time at which the event was first recorded.",
                        e -> age(firstOf(e, ".firstTimestamp", ".eventTime", ".metadata.creationTimestamp"), now)),
                Column.of("Count", "string", "", 1, "The number of times this event has occurred.",
                        e -> String.valueOf(count(e))),
                Column.of("Name", "string", "name", 1, "Name must be unique within a namespace.",
                        e -> text(e, ".metadata.name")));
    }

    private static String lastSeen(Map<String, Object> event, Instant now) {
        String last = age(firstOf(event, ".lastTimestamp", ".eventTime", ".firstTimestamp", ".metadata.creationTimestamp"),
                now);
        int count = count(event);
        if (count > 1) {
            return last + " (x" + count + " over "
                    + age(firstOf(event, ".firstTimestamp", ".eventTime", ".metadata.creationTimestamp"), now) + ")";
        }
        return last;
    }

    private static int count(Map<String, Object> event) {
        return path(event, ".count") instanceof Number n ? n.intValue() : 1;
    }

    private static String firstOf(Map<String, Object> object, String... paths) {
        for (String p : paths) {
            String value = text(object, p);
            if (!value.isEmpty()) {
                return value;
            }
        }
        return "";
    }

    private static String age(String timestamp, Instant now) {
        return timestamp.isEmpty() ? "<unknown>" : humanAge(timestamp, now);
    }

    private static String text(Map<String, Object> object, String jsonPath) {
        Object value = path(object, jsonPath);
        return value == null ? "" : value.toString();
    }

    /** The value at a simple JSONPath ({@code .status.phase}), or null. */
    @SuppressWarnings("unchecked")
    static Object path(Map<String, Object> object, String jsonPath) {
        Object current = object;
        for (String key : jsonPath.replaceFirst("^\\.", "").split("\\.")) {
            if (!(current instanceof Map<?, ?> map)) {
                return null;
            }
            current = ((Map<String, Object>) map).get(key);
        }
        return current;
    }

    /** An age as the API server writes it in a Table's date cells (e.g. 45s, 5m10s, 3h, 2d4h). */
    static String humanAge(String timestamp, Instant now) {
        Instant then;
        try {
            then = Instant.parse(timestamp);
        } catch (RuntimeException e) {
            return "<invalid>";
        }
        long seconds = Duration.between(then, now).getSeconds();
        if (seconds < -1) {
            return "<invalid>";
        }
        if (seconds < 0) {
            return "0s";
        }
        if (seconds < 120) {
            return seconds + "s";
        }
        long minutes = seconds / 60;
        if (minutes < 10) {
            return seconds % 60 == 0 ? minutes + "m" : minutes + "m" + seconds % 60 + "s";
        }
        if (minutes < 180) {
            return minutes + "m";
        }
        long hours = minutes / 60;
        if (hours < 8) {
            return minutes % 60 == 0 ? hours + "h" : hours + "h" + minutes % 60 + "m";
        }
        if (hours < 48) {
            return hours + "h";
        }
        if (hours < 24 * 8) {
            return hours % 24 == 0 ? hours / 24 + "d" : hours / 24 + "d" + hours % 24 + "h";
        }
        if (hours < 24 * 365 * 2) {
            return hours / 24 + "d";
        }
        if (hours < 24 * 365 * 8) {
            long days = hours / 24;
            return days % 365 == 0 ? days / 365 + "y" : days / 365 + "y" + days % 365 + "d";
        }
        return hours / 24 / 365 + "y";
    }

    private Optional<Answer> ok(String body) {
        return Optional.of(okAnswer(body));
    }

    private Answer okAnswer(String body) {
        return new Answer(200, body);
    }

    private Answer notFound(String path) {
        return new Answer(404, json.asJson(new io.fabric8.kubernetes.api.model.StatusBuilder().withStatus("Failure")
                .withReason("NotFound").withCode(404).withMessage("the server could not find the requested resource "
                        + "(" + path + ")").build()));
    }

    /** Whether Istio's kinds are served without their CRDs; see {@link SandboxApiServer#serveIstio}. */
    private volatile boolean istio = true;

    void serveIstio(boolean on) {
        istio = on;
    }

    boolean servesIstio() {
        return istio;
    }

    /** Every served kind, built-in first, then those of the stored CRDs. */
    List<Kind> kinds() {
        List<Kind> kinds = new ArrayList<>(BUILT_IN);
        List<Kind> fromCrds = crdKinds();
        kinds.addAll(fromCrds);
        if (istio && fromCrds.stream().noneMatch(k -> k.group().equals("networking.istio.io"))) {
            kinds.addAll(ISTIO);
        }
        return kinds;
    }

    private Optional<String> resourceList(String group, String version) {
        List<Kind> kinds = kinds().stream().filter(k -> k.group().equals(group) && k.version().equals(version)).toList();
        if (kinds.isEmpty()) {
            return Optional.empty();
        }
        List<APIResource> resources = new ArrayList<>();
        for (Kind k : kinds) {
            resources.add(new APIResourceBuilder()
                    .withName(k.plural()).withSingularName(k.singular()).withKind(k.kind()).withNamespaced(k.namespaced())
                    .withVerbs(ALL_VERBS)
                    .withShortNames(k.shortNames().isEmpty() ? null : k.shortNames())
                    .withCategories(k.categories().isEmpty() ? null : k.categories())
                    .build());
            if (k.statusSubresource()) {
                resources.add(new APIResourceBuilder().withName(k.plural() + "/status").withSingularName("")
                        .withKind(k.kind()).withNamespaced(k.namespaced()).withVerbs(STATUS_VERBS).build());
            }
        }
        return Optional.of(json.asJson(new APIResourceListBuilder().withGroupVersion(kinds.getFirst().groupVersion())
                .withResources(resources).build()));
    }

    /** Named groups (not the core one) with their kinds, in order of first appearance. */
    private Map<String, List<Kind>> groups() {
        Map<String, List<Kind>> groups = new LinkedHashMap<>();
        for (Kind k : kinds()) {
            if (!k.group().isEmpty()) {
                groups.computeIfAbsent(k.group(), g -> new ArrayList<>()).add(k);
            }
        }
        return groups;
    }

    private APIGroup group(List<Kind> kinds) {
        List<String> versions = kinds.stream().map(Kind::version).distinct().toList();
        String group = kinds.getFirst().group();
        var discovered = versions.stream().map(v -> new GroupVersionForDiscoveryBuilder().withGroupVersion(group + "/" + v)
                .withVersion(v).build()).toList();
        return new APIGroupBuilder().withName(group).withVersions(discovered).withPreferredVersion(discovered.getFirst())
                .build();
    }

    /** The kind served at a collection path ({@code /api/v1/namespaces/shop/events?...}), if any. */
    Optional<Kind> collectionKind(String path) {
        int query = path.indexOf('?');
        String[] parts = (query >= 0 ? path.substring(0, query) : path).split("/");
        int at;
        String group;
        String version;
        if (parts.length >= 4 && parts[1].equals("api")) {
            group = "";
            version = parts[2];
            at = 3;
        } else if (parts.length >= 5 && parts[1].equals("apis")) {
            group = parts[2];
            version = parts[3];
            at = 4;
        } else {
            return Optional.empty();
        }
        if (parts[at].equals("namespaces") && parts.length == at + 3) {
            at += 2;
        }
        if (parts.length != at + 1) {
            return Optional.empty();
        }
        String plural = parts[at];
        return kinds().stream().filter(k -> k.group().equals(group) && k.version().equals(version)
                && k.plural().equals(plural)).findFirst();
    }

    /** The CustomResourceDefinitions stored in the sandbox. */
    List<CustomResourceDefinition> crds() {
        CustomResourceDefinitionList list = json.unmarshal(crdListJson.get(), CustomResourceDefinitionList.class);
        return list == null || list.getItems() == null ? List.of() : list.getItems();
    }

    private List<Kind> crdKinds() {
        List<Kind> kinds = new ArrayList<>();
        for (CustomResourceDefinition crd : crds()) {
            var spec = crd.getSpec();
            if (spec == null || spec.getNames() == null || spec.getVersions() == null) {
                continue;
            }
            // the storage version first: it is the group's preferred one
            List<CustomResourceDefinitionVersion> versions = new ArrayList<>(spec.getVersions());
            versions.sort((a, b) -> Boolean.compare(Boolean.TRUE.equals(b.getStorage()), Boolean.TRUE.equals(a.getStorage())));
            for (CustomResourceDefinitionVersion v : versions) {
                if (Boolean.FALSE.equals(v.getServed())) {
                    continue;
                }
                var names = spec.getNames();
                kinds.add(new Kind(spec.getGroup(), v.getName(), names.getPlural(),
                        names.getSingular() != null ? names.getSingular() : names.getKind().toLowerCase(), names.getKind(),
                        !"Cluster".equals(spec.getScope()),
                        names.getShortNames() == null ? List.of() : names.getShortNames(),
                        names.getCategories() == null ? List.of() : names.getCategories(),
                        v.getSubresources() != null && v.getSubresources().getStatus() != null,
                        v.getAdditionalPrinterColumns() == null ? List.of() : v.getAdditionalPrinterColumns()));
            }
        }
        return kinds;
    }

    /** What {@code kubectl version} shows for the server. */
    private static Map<String, String> version() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("major", KUBERNETES_MAJOR);
        v.put("minor", KUBERNETES_MINOR);
        v.put("gitVersion", "v" + KUBERNETES_MAJOR + "." + KUBERNETES_MINOR + ".0-sluice-sandbox");
        v.put("gitCommit", "");
        v.put("gitTreeState", "");
        v.put("buildDate", "");
        v.put("goVersion", "");
        v.put("compiler", "");
        v.put("platform", "sandbox/java");
        return v;
    }

    private static Kind core(String plural, String kind, boolean namespaced, List<String> shortNames) {
        return new Kind("", "v1", plural, kind.toLowerCase(), kind, namespaced, shortNames, List.of(),
                List.of("namespaces", "nodes", "persistentvolumeclaims", "persistentvolumes", "pods", "resourcequotas",
                        "services").contains(plural));
    }

    private static Kind withAll(Kind k) {
        return new Kind(k.group(), k.version(), k.plural(), k.singular(), k.kind(), k.namespaced(), k.shortNames(),
                List.of("all"), k.statusSubresource());
    }

    private static Kind kind(String group, String version, String plural, String kind, boolean namespaced,
            List<String> shortNames, List<String> categories, boolean status) {
        return new Kind(group, version, plural, kind.toLowerCase(), kind, namespaced, shortNames, categories, status);
    }

    private static Kind istio(String plural, String kind, List<String> shortNames) {
        return new Kind("networking.istio.io", "v1", plural, kind.toLowerCase(), kind, true, shortNames,
                List.of("istio-io", "networking-istio-io"), true);
    }
}
