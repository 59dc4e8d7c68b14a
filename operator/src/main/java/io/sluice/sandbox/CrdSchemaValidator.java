package io.sluice.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Validates objects against a generated CRD the way an API server would: schema defaults first,
 * then the OpenAPI constraints Sluice uses, then every {@code x-kubernetes-validations} CEL rule,
 * evaluated with Google's CEL for Java. Fabric8's mock API evaluates none of this: the sandbox API
 * ({@link SandboxApiServer}) validates custom resources with it, and the tests use it to prove the CRDs'
 * rules compile and accept and reject what they should.
 * <p>
 * It also reads the constructs of other projects' CRDs (Istio's) that constrain what Sluice
 * writes: {@code additionalProperties} (map values), {@code nullable}, {@code min/maxProperties},
 * and {@code allOf}, {@code anyOf}, {@code oneOf} and {@code not}, which structural schemas use for
 * "at most one of these fields" and, with {@code x-kubernetes-int-or-string}, for int-or-string.
 * {@code format} is not checked.
 */
public final class CrdSchemaValidator {
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addLibraries(CelExtensions.strings())
            .addVar("self", SimpleType.DYN)
            .setResultType(SimpleType.BOOL)
            .build();
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder()
            .addLibraries(CelExtensions.strings())
            .build();

    /** What a violation is about. */
    public enum Kind {
        /** the value at {@code field} breaks a constraint or rule */
        INVALID,
        /** the object at {@code field} lacks the property named by {@code value} */
        REQUIRED,
        /**
         * the object at {@code field} has a property the schema does not declare, named by {@code value}
         * (an API server prunes it, or refuses it only when asked for strict field validation)
         */
        UNKNOWN_FIELD
    }

    /** One violation: the field ({@code spec.steps[0].setWeight}, empty for the root), a value, what is wrong. */
    public record Violation(String field, Object value, String message, Kind kind) {
        /** "field: message", as {@link #validate} lists it. */
        @Override
        public String toString() {
            return (field.isEmpty() ? "<root>" : field) + ": " + message;
        }
    }

    /** A CEL rule of the schema, compiled. */
    public record Rule(String path, String expression, String message, CelRuntime.Program program) {
    }

    private final Map<String, Object> schema;
    private final Map<String, Rule> rulesByKey = new LinkedHashMap<>();
    // By schema node, not by path: map values and list items share one node whatever their key or index.
    private final Map<Map<String, Object>, List<Rule>> rulesByNode = new IdentityHashMap<>();

    /** The schema of the CRD's first version (Sluice's CRDs have one). */
    public CrdSchemaValidator(Path crdFile) throws IOException {
        this(versions(crdFile).getFirst());
    }

    /**
     * The schema of the CRD's version named {@code versionName}, e.g. {@code v1}.
     *
     * @throws IllegalArgumentException when the CRD has no such version
     */
    public CrdSchemaValidator(Path crdFile, String versionName) throws IOException {
        this(versions(crdFile).stream().filter(version -> versionName.equals(version.get("name"))).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(crdFile + " has no version " + versionName)));
    }

    /** The schema of one entry of a CRD's {@code spec.versions}, as a JSON map. */
    public static CrdSchemaValidator forVersion(Map<String, Object> version) {
        return new CrdSchemaValidator(version);
    }

    @SuppressWarnings("unchecked")
    private CrdSchemaValidator(Map<String, Object> version) {
        this.schema = (Map<String, Object>) ((Map<String, Object>) version.get("schema")).get("openAPIV3Schema");
        compileRules(schema, "");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> versions(Path crdFile) throws IOException {
        Map<String, Object> crd = YAML.readValue(crdFile.toFile(), Map.class);
        return (List<Map<String, Object>>) ((Map<String, Object>) crd.get("spec")).get("versions");
    }

    /** Every CEL rule in the schema; construction fails if any of them does not compile. */
    public List<Rule> rules() {
        return List.copyOf(rulesByKey.values());
    }

    /** Violations of the object (defaults applied first), as "path: message"; empty when valid. */
    public List<String> validate(Map<String, Object> object) {
        return violations(object).stream().map(Violation::toString).toList();
    }

    /** Violations of the object (defaults applied first); empty when valid. */
    public List<Violation> violations(Map<String, Object> object) {
        Object withDefaults = applyDefaults(schema, normalize(object));
        List<Violation> violations = new ArrayList<>();
        check(schema, withDefaults, "", violations);
        return violations;
    }

    /** The object with the schema's defaults applied, as an API server stores it. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> withDefaults(Map<String, Object> object) {
        return (Map<String, Object>) applyDefaults(schema, normalize(object));
    }

    @SuppressWarnings("unchecked")
    private void compileRules(Map<String, Object> node, String path) {
        for (Map<String, Object> validation : (List<Map<String, Object>>) node.getOrDefault("x-kubernetes-validations", List.of())) {
            String expression = (String) validation.get("rule");
            try {
                CelAbstractSyntaxTree ast = COMPILER.compile(expression).getAst();
                Rule rule = new Rule(path, expression, (String) validation.get("message"), RUNTIME.createProgram(ast));
                rulesByKey.put(path + "#" + expression, rule);
                rulesByNode.computeIfAbsent(node, n -> new ArrayList<>()).add(rule);
            } catch (CelValidationException | CelEvaluationException e) {
                throw new IllegalStateException("CEL rule at " + path + " does not compile: " + expression, e);
            }
        }
        for (var property : properties(node).entrySet()) {
            compileRules((Map<String, Object>) property.getValue(), path + "." + property.getKey());
        }
        if (node.get("items") instanceof Map<?, ?> items) {
            compileRules((Map<String, Object>) items, path + "[]");
        }
        if (node.get("additionalProperties") instanceof Map<?, ?> values) {
            compileRules((Map<String, Object>) values, path + ".*");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> properties(Map<String, Object> node) {
        return (Map<String, Object>) node.getOrDefault("properties", Map.of());
    }

    @SuppressWarnings("unchecked")
    private Object applyDefaults(Map<String, Object> node, Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) map);
            for (var property : properties(node).entrySet()) {
                Map<String, Object> child = (Map<String, Object>) property.getValue();
                if (!copy.containsKey(property.getKey()) && child.containsKey("default")) {
                    copy.put(property.getKey(), normalize(child.get("default")));
                }
                if (copy.containsKey(property.getKey())) {
                    copy.put(property.getKey(), applyDefaults(child, copy.get(property.getKey())));
                }
            }
            if (node.get("additionalProperties") instanceof Map<?, ?> values) {
                copy.replaceAll((key, v) -> applyDefaults((Map<String, Object>) values, v));
            }
            return copy;
        }
        if (value instanceof List<?> list && node.get("items") instanceof Map<?, ?> items) {
            return list.stream().map(v -> applyDefaults((Map<String, Object>) items, v)).toList();
        }
        return value;
    }

    @SuppressWarnings("unchecked")
    private void check(Map<String, Object> node, Object value, String path, List<Violation> violations) {
        if (value == null && Boolean.TRUE.equals(node.get("nullable"))) {
            return;
        }
        if (!checkType(node, value)) {
            violations.add(new Violation(path, value, "must be of type " + node.get("type"), Kind.INVALID));
            return;
        }
        if (value instanceof Map<?, ?> map) {
            for (String required : (List<String>) node.getOrDefault("required", List.of())) {
                if (!map.containsKey(required)) {
                    violations.add(new Violation(path, required, required + " is required", Kind.REQUIRED));
                }
            }
            Map<String, Object> props = properties(node);
            Map<String, Object> values = node.get("additionalProperties") instanceof Map<?, ?> schemaOfValues
                    ? (Map<String, Object>) schemaOfValues : null;
            for (var entry : ((Map<String, Object>) map).entrySet()) {
                Map<String, Object> child = props.containsKey(entry.getKey())
                        ? (Map<String, Object>) props.get(entry.getKey()) : values;
                if (child != null) {
                    check(child, entry.getValue(), path + "." + entry.getKey(), violations);
                } else if (!props.isEmpty() && !Boolean.TRUE.equals(node.get("x-kubernetes-preserve-unknown-fields"))
                        && !path.isEmpty()) {
                    violations.add(new Violation(path, entry.getKey(), "unknown field " + entry.getKey(),
                            Kind.UNKNOWN_FIELD));
                }
            }
            atLeast(node, "minProperties", map.size(), "must have at least %s properties", value, path, violations);
            atMost(node, "maxProperties", map.size(), "must have at most %s properties", value, path, violations);
        }
        if (value instanceof List<?> list) {
            atLeast(node, "minItems", list.size(), "must have at least %s items", value, path, violations);
            atMost(node, "maxItems", list.size(), "must have at most %s items", value, path, violations);
            if (node.get("items") instanceof Map<?, ?> items) {
                for (int i = 0; i < list.size(); i++) {
                    check((Map<String, Object>) items, list.get(i), path + "[" + i + "]", violations);
                }
            }
        }
        if (value instanceof String s) {
            atLeast(node, "minLength", s.length(), "must be at least %s characters", value, path, violations);
            atMost(node, "maxLength", s.length(), "must be at most %s characters", value, path, violations);
            if (node.get("pattern") instanceof String pattern && !java.util.regex.Pattern.compile(pattern).matcher(s).find()) {
                violations.add(new Violation(path, value, "must match " + pattern, Kind.INVALID));
            }
        }
        if (value instanceof Number n) {
            atLeast(node, "minimum", n.doubleValue(), "must be >= %s", value, path, violations);
            atMost(node, "maximum", n.doubleValue(), "must be <= %s", value, path, violations);
        }
        if (node.get("enum") instanceof List<?> allowed && !allowed.contains(value)) {
            violations.add(new Violation(path, value, "must be one of " + allowed, Kind.INVALID));
        }
        checkCombinations(node, value, path, violations);
        for (Rule rule : rulesByNode.getOrDefault(node, List.of())) {
            try {
                if (!Boolean.TRUE.equals(rule.program().eval(Map.of("self", value)))) {
                    violations.add(new Violation(path, value, rule.message(), Kind.INVALID));
                }
            } catch (CelEvaluationException e) {
                violations.add(new Violation(path, value, "rule failed to evaluate (" + rule.expression() + "): "
                        + e.getMessage(), Kind.INVALID));
            }
        }
    }

    /** allOf, anyOf, oneOf and not: sub-schemas the value must, or must not, satisfy as a whole. */
    @SuppressWarnings("unchecked")
    private void checkCombinations(Map<String, Object> node, Object value, String path, List<Violation> violations) {
        for (Map<String, Object> part : (List<Map<String, Object>>) node.getOrDefault("allOf", List.of())) {
            check(part, value, path, violations);
        }
        if (node.get("anyOf") instanceof List<?> anyOf
                && anyOf.stream().noneMatch(part -> satisfies((Map<String, Object>) part, value, path))) {
            violations.add(new Violation(path, value, "must satisfy at least one of " + anyOf, Kind.INVALID));
        }
        if (node.get("oneOf") instanceof List<?> oneOf) {
            long satisfied = oneOf.stream().filter(part -> satisfies((Map<String, Object>) part, value, path)).count();
            if (satisfied != 1) {
                violations.add(new Violation(path, value, "must satisfy exactly one of " + oneOf + ", satisfies "
                        + satisfied, Kind.INVALID));
            }
        }
        if (node.get("not") instanceof Map<?, ?> not && satisfies((Map<String, Object>) not, value, path)) {
            violations.add(new Violation(path, value, "must not satisfy " + not, Kind.INVALID));
        }
    }

    private boolean satisfies(Map<String, Object> schemaPart, Object value, String path) {
        List<Violation> violations = new ArrayList<>();
        check(schemaPart, value, path, violations);
        return violations.isEmpty();
    }

    private static boolean checkType(Map<String, Object> node, Object value) {
        return switch (String.valueOf(node.get("type"))) {
            case "object" -> value instanceof Map;
            case "array" -> value instanceof List;
            case "string" -> value instanceof String;
            case "integer" -> value instanceof Long;
            case "number" -> value instanceof Number;
            case "boolean" -> value instanceof Boolean;
            default -> true;
        };
    }

    private static void atLeast(Map<String, Object> node, String key, double actual, String message, Object value,
            String path, List<Violation> violations) {
        if (node.get(key) instanceof Number limit && actual < limit.doubleValue()) {
            violations.add(new Violation(path, value, message.formatted(limit), Kind.INVALID));
        }
    }

    private static void atMost(Map<String, Object> node, String key, double actual, String message, Object value,
            String path, List<Violation> violations) {
        if (node.get(key) instanceof Number limit && actual > limit.doubleValue()) {
            violations.add(new Violation(path, value, message.formatted(limit), Kind.INVALID));
        }
    }

    /** YAML and JSON give Integers; CEL and Kubernetes know only 64-bit ints. */
    @SuppressWarnings("unchecked")
    private static Object normalize(Object value) {
        if (value instanceof Integer i) {
            return i.longValue();
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            ((Map<String, Object>) map).forEach((k, v) -> copy.put(k, normalize(v)));
            return copy;
        }
        if (value instanceof List<?> list) {
            return list.stream().map(CrdSchemaValidator::normalize).toList();
        }
        return value;
    }
}
