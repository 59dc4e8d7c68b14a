package io.sluice.docs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.sluice.crd.CrdGeneration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Writes {@code docs/reference.md}, the reference of every field of Sluice's resources, from the CRDs
 * in {@code crds/}: path, type, required or not, default, bounds, enum, pattern, description, and the
 * messages of the CEL validation rules. The CRDs are generated from the API classes, so the field
 * descriptions have one source (the Java annotations) and this page cannot drift from them:
 * {@code FieldReferenceTest} fails when the committed page differs from what this renders, and
 * {@code ./sluice crds} rewrites both.
 * <p>
 * A schema keyword this renderer does not know makes it fail rather than leave the constraint out.
 */
public final class FieldReference {
    /** The command that regenerates the CRDs and this reference. */
    public static final String COMMAND = "./sluice crds";

    private static final ObjectMapper YAML = new YAMLMapper();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The order the resources are presented in; any other CRD follows, by kind. */
    private static final List<String> KIND_ORDER = List.of("Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate",
            "AnalysisRun");
    private static final Set<String> RENDERED_KEYWORDS = Set.of("description", "type", "properties", "items",
            "required", "default", "enum", "pattern", "format", "nullable", "minimum", "maximum", "exclusiveMinimum",
            "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems", "additionalProperties",
            "x-kubernetes-validations", "x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields",
            "x-kubernetes-list-type", "x-kubernetes-map-type");

    private FieldReference() {
    }

    public static Path referenceFile() {
        return CrdGeneration.projectDir().resolve("docs").resolve("reference.md");
    }

    /** Rewrites docs/reference.md (or the file given) from crds/: part of {@code ./sluice crds}. */
    public static void main(String[] args) throws IOException {
        Path out = args.length > 0 ? Path.of(args[0]) : referenceFile();
        Files.writeString(out, render(CrdGeneration.crdsDir()));
        System.out.println("wrote " + out);
    }

    /** The reference page for the CRDs (*.yaml) in a folder. */
    public static String render(Path crdsDir) throws IOException {
        List<JsonNode> crds = new ArrayList<>();
        try (var files = Files.list(crdsDir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                crds.add(YAML.readTree(file.toFile()));
            }
        }
        crds.sort(Comparator.comparingInt((JsonNode crd) -> rank(kind(crd))).thenComparing(FieldReference::kind));
        Page page = new Page();
        page.intro(crds);
        Map<JsonNode, String> specsSeen = new LinkedHashMap<>();
        for (JsonNode crd : crds) {
            page.resource(crd, specsSeen);
        }
        return page.toString();
    }

    private static int rank(String kind) {
        int i = KIND_ORDER.indexOf(kind);
        return i < 0 ? KIND_ORDER.size() : i;
    }

    private static String kind(JsonNode crd) {
        return crd.path("spec").path("names").path("kind").asText();
    }

    /** Markdown being written. */
    private static final class Page {
        private final StringBuilder out = new StringBuilder();

        void intro(List<JsonNode> crds) {
            line("# Field reference");
            line();
            line("<!-- Generated from crds/*.yaml by `" + COMMAND + "` (io.sluice.docs.FieldReference). Do not edit by"
                    + " hand: FieldReferenceTest fails when this file differs from what the CRDs say. -->");
            line();
            line("Every field of Sluice's resources, generated from the CRDs in `crds/` (which are generated from the"
                    + " API classes in `io.sluice.api.v1alpha1`). On a cluster, `kubectl explain` shows the same"
                    + " descriptions, e.g. `kubectl explain rollout.spec.strategy.canary.steps`.");
            line();
            line("How to read an entry:");
            line();
            line("- The heading is the field's path from the top of the resource; `[]` stands for each item of a"
                    + " list.");
            line("- Then its type, whether it is required (within its parent object, when that is set), its"
                    + " default, and its bounds: number range, length, number of items, allowed values or pattern."
                    + " The API server fills in defaults and rejects values outside the bounds.");
            line("- **Validation** lists the CEL rules (`x-kubernetes-validations`) that the API server checks at"
                    + " that level, as the message it answers with, followed by the rule itself.");
            line("- `metadata` is the standard Kubernetes object metadata and is not repeated here.");
            line();
            for (JsonNode crd : crds) {
                String kind = kind(crd);
                line("- [" + kind + "](#" + kind.toLowerCase() + ")" + " — " + firstSentence(rootSchema(
                        crd.path("spec").path("versions").get(0)).path("description").asText()));
            }
        }

        void resource(JsonNode crd, Map<JsonNode, String> specsSeen) {
            JsonNode spec = crd.path("spec");
            String kind = kind(crd);
            JsonNode names = spec.path("names");
            line();
            line("## " + kind);
            line();
            for (JsonNode version : spec.path("versions")) {
                StringBuilder facts = new StringBuilder(code(spec.path("group").asText() + "/"
                        + version.path("name").asText()));
                facts.append(" · ").append(spec.path("scope").asText().equals("Cluster") ? "cluster-scoped" : "namespaced");
                facts.append(" · `kubectl get ").append(names.path("plural").asText()).append('`');
                List<String> aliases = new ArrayList<>();
                names.path("shortNames").forEach(n -> aliases.add("short name " + code(n.asText())));
                names.path("categories").forEach(n -> aliases.add("category " + code(n.asText())));
                if (!aliases.isEmpty()) {
                    facts.append(" (").append(String.join(", ", aliases)).append(')');
                }
                if (!version.path("served").asBoolean(true)) {
                    facts.append(" · not served");
                }
                line(facts.toString());
                line();
                JsonNode root = rootSchema(version);
                line(text(root.path("description").asText()));
                columns(names.path("plural").asText(), version.path("additionalPrinterColumns"));
                JsonNode properties = root.path("properties");
                for (String part : List.of("spec", "status")) {
                    JsonNode schema = properties.get(part);
                    if (schema == null) {
                        continue;
                    }
                    line();
                    line("### " + code(part));
                    String sameAs = part.equals("spec") ? specsSeen.get(schema) : null;
                    if (sameAs != null) {
                        line();
                        line(text(schema.path("description").asText()));
                        line();
                        line("It has exactly the fields of [" + sameAs + "'s spec](#" + sameAs.toLowerCase() + "),"
                                + " with the same types, defaults, bounds and validation rules.");
                        continue;
                    }
                    if (part.equals("spec")) {
                        specsSeen.put(schema, kind);
                    }
                    field(part, schema, required(root).contains(part), true);
                }
                if (!properties.has("status")) {
                    line();
                    line(kind + " has no status.");
                }
            }
        }

        private void columns(String plural, JsonNode columns) {
            if (columns.isEmpty()) {
                return;
            }
            List<String> shown = new ArrayList<>();
            List<String> wide = new ArrayList<>();
            for (JsonNode column : columns) {
                String name = column.path("name").asText();
                String source = column.path("jsonPath").asText();
                String entry = name + " (" + code(source) + (column.has("description")
                        ? ": " + text(column.path("description").asText()) : "") + ")";
                (column.path("priority").asInt(0) > 0 ? wide : shown).add(entry);
            }
            line();
            line("Columns of `kubectl get " + plural + "`: NAME, " + String.join(", ", shown) + "."
                    + (wide.isEmpty() ? "" : " With `-o wide` also: " + String.join(", ", wide) + "."));
        }

        /** One field and, below it, the fields it contains; the top-level spec and status have their heading already. */
        private void field(String path, JsonNode schema, boolean required, boolean topLevel) {
            checkKeywords(path, schema);
            if (!topLevel) {
                line();
                line("#### " + code(path));
            }
            line();
            line(summary(schema, required));
            if (schema.hasNonNull("description")) {
                line();
                line(text(schema.path("description").asText()));
            }
            rules("Validation", schema);
            JsonNode items = schema.path("items");
            if (schema.path("type").asText().equals("array") && items.isObject()) {
                checkKeywords(path + "[]", items);
                rules("Validation of each item", items);
                children(path + "[]", items);
            }
            JsonNode values = schema.path("additionalProperties");
            if (values.isObject()) {
                checkKeywords(path + ".<key>", values);
                rules("Validation of each value", values);
                children(path + ".<key>", values);
            }
            children(path, schema);
        }

        private void children(String path, JsonNode schema) {
            Set<String> required = required(schema);
            JsonNode properties = schema.path("properties");
            for (String name : new TreeSet<>(iterable(properties.fieldNames()))) {
                field(path + "." + name, properties.get(name), required.contains(name), false);
            }
        }

        private void rules(String title, JsonNode schema) {
            JsonNode rules = schema.path("x-kubernetes-validations");
            if (rules.isEmpty()) {
                return;
            }
            line();
            line("**" + title + ":**");
            line();
            for (JsonNode rule : rules) {
                String message = rule.has("message") ? rule.path("message").asText()
                        : "failed rule (no message)";
                line("- " + text(message) + ": " + code(rule.path("rule").asText()));
            }
        }

        void line(String s) {
            out.append(s).append('\n');
        }

        void line() {
            out.append('\n');
        }

        @Override
        public String toString() {
            return out.toString();
        }
    }

    /** Type, required or not, default and constraints, on one line. */
    static String summary(JsonNode schema, boolean required) {
        List<String> parts = new ArrayList<>();
        parts.add(type(schema));
        parts.add(required ? "**required**" : "optional");
        if (schema.has("default")) {
            parts.add("default " + code(json(schema.get("default"))));
        }
        parts.addAll(constraints(schema, ""));
        JsonNode items = schema.path("items");
        if (schema.path("type").asText().equals("array") && items.isObject()
                && !items.path("type").asText().equals("object")) {
            parts.addAll(constraints(items, "each "));
        }
        return String.join(" · ", parts);
    }

    static String type(JsonNode schema) {
        if (schema.path("x-kubernetes-int-or-string").asBoolean()) {
            return "integer or string";
        }
        String type = schema.path("type").asText();
        String format = schema.has("format") ? " (" + schema.path("format").asText() + ")" : "";
        return switch (type) {
            case "array" -> "list of " + plural(type(schema.path("items")));
            case "object" -> schema.path("additionalProperties").isObject()
                    ? "map of string to " + type(schema.path("additionalProperties"))
                    : schema.path("x-kubernetes-preserve-unknown-fields").asBoolean() ? "object (any fields)" : "object";
            case "" -> schema.path("x-kubernetes-preserve-unknown-fields").asBoolean() ? "any" : "(no type)";
            default -> type + format;
        };
    }

    private static String plural(String type) {
        return switch (type) {
            case "object", "string", "integer", "boolean", "number" -> type + "s";
            default -> type + " items";
        };
    }

    private static List<String> constraints(JsonNode s, String prefix) {
        List<String> out = new ArrayList<>();
        if (s.has("enum")) {
            List<String> values = new ArrayList<>();
            s.get("enum").forEach(v -> values.add(code(v.isTextual() ? v.asText() : json(v))));
            out.add(prefix + "one of " + String.join(", ", values));
        }
        String range = range(s, "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum");
        if (range != null) {
            out.add(prefix + range);
        }
        String length = count(s, "minLength", "maxLength", "character");
        if (length != null) {
            out.add(prefix + length);
        }
        String items = count(s, "minItems", "maxItems", "item");
        if (items != null) {
            out.add(prefix + items);
        }
        if (s.has("pattern")) {
            out.add(prefix + "pattern " + code(s.path("pattern").asText()));
        }
        if (s.path("nullable").asBoolean()) {
            out.add(prefix + "may be null");
        }
        if (s.has("x-kubernetes-list-type")) {
            out.add(prefix + "list type " + code(s.path("x-kubernetes-list-type").asText()));
        }
        if (s.has("x-kubernetes-map-type")) {
            out.add(prefix + "map type " + code(s.path("x-kubernetes-map-type").asText()));
        }
        return out;
    }

    private static String range(JsonNode s, String min, String max, String exclusiveMin, String exclusiveMax) {
        boolean hasMin = s.has(min);
        boolean hasMax = s.has(max);
        boolean openMin = s.path(exclusiveMin).asBoolean();
        boolean openMax = s.path(exclusiveMax).asBoolean();
        if (hasMin && hasMax && !openMin && !openMax) {
            return number(s.get(min)) + " to " + number(s.get(max));
        }
        List<String> bounds = new ArrayList<>();
        if (hasMin) {
            bounds.add((openMin ? "> " : "≥ ") + number(s.get(min)));
        }
        if (hasMax) {
            bounds.add((openMax ? "< " : "≤ ") + number(s.get(max)));
        }
        return bounds.isEmpty() ? null : String.join(", ", bounds);
    }

    private static String count(JsonNode s, String min, String max, String unit) {
        if (s.has(min) && s.has(max)) {
            return number(s.get(min)) + " to " + number(s.get(max)) + " " + unit + "s";
        }
        if (s.has(min)) {
            return "at least " + number(s.get(min)) + " " + unit + (s.get(min).asLong() == 1 ? "" : "s");
        }
        if (s.has(max)) {
            return "at most " + number(s.get(max)) + " " + unit + (s.get(max).asLong() == 1 ? "" : "s");
        }
        return null;
    }

    /** 1.0 as 1, 0.5 as 0.5. */
    private static String number(JsonNode n) {
        return new BigDecimal(n.asText()).stripTrailingZeros().toPlainString();
    }

    private static void checkKeywords(String path, JsonNode schema) {
        List<String> unknown = iterable(schema.fieldNames()).stream().filter(k -> !RENDERED_KEYWORDS.contains(k))
                .toList();
        if (!unknown.isEmpty()) {
            throw new IllegalStateException("the schema of " + path + " uses " + unknown
                    + ", which io.sluice.docs.FieldReference does not render yet; teach it before regenerating");
        }
    }

    private static Set<String> required(JsonNode schema) {
        Set<String> out = new TreeSet<>();
        schema.path("required").forEach(r -> out.add(r.asText()));
        return out;
    }

    private static JsonNode rootSchema(JsonNode version) {
        return version.path("schema").path("openAPIV3Schema");
    }

    /** The description's first sentence. */
    private static String firstSentence(String s) {
        int end = s.indexOf(". ");
        String sentence = (end < 0 ? s : s.substring(0, end)).strip();
        return text(sentence.endsWith(".") ? sentence : sentence + ".");
    }

    private static String json(JsonNode value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Inline code, with a longer fence when the text itself has a backtick. */
    static String code(String s) {
        return s.contains("`") ? "`` " + s + " ``" : "`" + s + "`";
    }

    /** Description text as Markdown: keeps its `code`, keeps angle brackets from becoming HTML. */
    static String text(String s) {
        return s.replace("<", "&lt;").strip();
    }

    private static List<String> iterable(Iterator<String> names) {
        List<String> out = new ArrayList<>();
        names.forEachRemaining(out::add);
        return out;
    }
}
