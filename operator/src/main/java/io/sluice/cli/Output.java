package io.sluice.cli;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.util.StringQuotingChecker;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.sluice.api.v1alpha1.Rollout;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code -o json|yaml}: the Rollouts themselves, as {@code kubectl get -o json|yaml} prints them: every field
 * the API server holds (read untyped, so nothing this plugin does not know is dropped), keys sorted, JSON
 * indented by four spaces (byte for byte what kubectl prints), YAML equal in content (kubectl folds long lines,
 * this does not), and several objects wrapped in a {@code v1} List.
 */
final class Output {
    enum Format { json, yaml }

    /** The option, shared by the commands that print Rollouts. */
    static final class Mixin {
        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT",
                description = "Print the Rollout(s) as `kubectl get -o json|yaml` would (for list, a List): json or yaml.")
        Format format;
    }

    static final ResourceDefinitionContext ROLLOUTS = ResourceDefinitionContext.fromResourceType(Rollout.class);

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .disable(YAMLGenerator.Feature.SPLIT_LINES) // a long message stays on one line (kubectl folds it)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .stringQuotingChecker(new QuoteTimestamps())
            .build()).enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final DefaultPrettyPrinter KUBECTL_JSON = new DefaultPrettyPrinter(Separators.createDefaultInstance()
            .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
            .withObjectEmptySeparator("")
            .withArrayEmptySeparator(""))
            .withObjectIndenter(new DefaultIndenter("    ", "\n"))
            .withArrayIndenter(new DefaultIndenter("    ", "\n"));

    private Output() {
    }

    /** One Rollout as the API server has it, or null when there is none. */
    static GenericKubernetesResource rollout(Kube kube, String name) {
        return kube.client.genericKubernetesResources(ROLLOUTS).inNamespace(kube.namespace).withName(name).get();
    }

    /** Rollouts as a {@code v1} List, in the order the API server gave them (as kubectl keeps it). */
    static Map<String, Object> list(List<GenericKubernetesResource> items) {
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("apiVersion", "v1");
        list.put("items", items.stream().map(Output::withTypeMeta).toList());
        list.put("kind", "List");
        list.put("metadata", Map.of("resourceVersion", ""));
        return list;
    }

    /** Items of a list response may come without apiVersion and kind; kubectl puts them back. */
    private static GenericKubernetesResource withTypeMeta(GenericKubernetesResource r) {
        if (r.getApiVersion() == null) {
            r.setApiVersion(Rollout.GROUP + "/" + Rollout.VERSION);
        }
        if (r.getKind() == null) {
            r.setKind("Rollout");
        }
        return r;
    }

    /** Like kubectl, quotes a string a YAML reader would take for a timestamp (creationTimestamp). */
    private static final class QuoteTimestamps extends StringQuotingChecker.Default {
        private static final java.util.regex.Pattern TIMESTAMP = java.util.regex.Pattern.compile("\\d{4}-\\d\\d?-\\d\\d?([Tt ].*)?");

        @Override
        public boolean needToQuoteValue(String value) {
            return super.needToQuoteValue(value) || TIMESTAMP.matcher(value).matches();
        }
    }

    /** kubectl (Go's encoding/json) writes {@code <}, {@code >} and {@code &} as {@code \\u003c} etc.; so does this. */
    private static final class GoEscapes extends CharacterEscapes {
        private final int[] ascii = standardAsciiEscapesForJSON();

        GoEscapes() {
            for (char c : new char[] {'<', '>', '&'}) {
                ascii[c] = ESCAPE_CUSTOM;
            }
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return ch == '<' || ch == '>' || ch == '&' || ch == 0x2028 || ch == 0x2029
                    ? new SerializedString(String.format("\\u%04x", ch)) : null;
        }
    }

    static String render(Format format, Object value) {
        try {
            // through a plain tree first, so that every map (also the object's own fields) is sorted by key
            Object tree = JSON.convertValue(value, Object.class);
            return switch (format) {
                case json -> JSON.writer(KUBECTL_JSON).with(new GoEscapes()).writeValueAsString(tree) + "\n";
                case yaml -> YAML.writeValueAsString(tree);
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
