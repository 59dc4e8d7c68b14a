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
     * A {@code meta.k8s.io/v1} Table of the custom resources at {@code path}, with the columns their CRD
     * declares (additionalPrinterColumns), as kubectl asks for ({@code Accept: ...;as=Table}); empty when
     * {@code path} is not a list or get of a custom resource with printer columns.
     *
     * @param read reads a path from the store in-process, returning its status code and JSON
     */
    Optional<Answer> table(String path, Function<String, Answer> read, Instant now) {
        int query = path.indexOf('?');
        String p = query >= 0 ? path.substring(0, query) : path;
        String[] parts = p.split("/");
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
        Answer stored = read.apply(path);
        if (stored.code() != 200) {
            return Optional.of(stored);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> doc = json.unmarshal(stored.body(), Map.class);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> items = doc.containsKey("items") ? (List<Map<String, Object>>) doc.get("items")
                : List.of(doc);
        List<Map<String, Object>> columns = new ArrayList<>();
        columns.add(Map.of("name", "Name", "type", "string", "format", "name", "priority", 0,
                "description", "Name must be unique within a namespace."));
        for (CustomResourceColumnDefinition c : kind.get().printerColumns()) {
            Map<String, Object> column = new LinkedHashMap<>();
            column.put("name", c.getName());
            column.put("type", c.getType());
            column.put("format", c.getFormat() == null ? "" : c.getFormat());
            column.put("description", c.getDescription() == null ? "" : c.getDescription());
            column.put("priority", c.getPriority() == null ? 0 : c.getPriority());
            columns.add(column);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Map<String, Object> item : items) {
            List<Object> cells = new ArrayList<>();
            cells.add(path(item, ".metadata.name"));
            for (CustomResourceColumnDefinition c : kind.get().printerColumns()) {
                Object value = path(item, c.getJsonPath());
                cells.add("date".equals(c.getType()) && value instanceof String t ? humanAge(t, now) : value);
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
        @SuppressWarnings("unchecked")
        Map<String, Object> listMeta = doc.containsKey("items") && doc.get("metadata") instanceof Map<?, ?> m
                ? (Map<String, Object>) m : Map.of();
        table.put("metadata", listMeta);
        table.put("columnDefinitions", columns);
        table.put("rows", rows);
        return ok(json.asJson(table));
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

    /** Every served kind, built-in first, then those of the stored CRDs. */
    List<Kind> kinds() {
        List<Kind> kinds = new ArrayList<>(BUILT_IN);
        List<Kind> fromCrds = crdKinds();
        kinds.addAll(fromCrds);
        if (fromCrds.stream().noneMatch(k -> k.group().equals("networking.istio.io"))) {
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

    private List<Kind> crdKinds() {
        List<Kind> kinds = new ArrayList<>();
        CustomResourceDefinitionList list = json.unmarshal(crdListJson.get(), CustomResourceDefinitionList.class);
        if (list == null || list.getItems() == null) {
            return kinds;
        }
        for (CustomResourceDefinition crd : list.getItems()) {
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
