package io.sluice.analysis;

import io.sluice.api.v1alpha1.AnalysisArg;
import io.sluice.api.v1alpha1.SecretKeySelector;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Gives an analysis its arg values and puts them into PromQL queries.
 *
 * <p>A value is inserted as the content of a PromQL double-quoted string literal, escaped, so it can
 * never end the string and change what the query does: {@code "} becomes {@code \"}, a backslash
 * {@code \\}, control characters their escapes. A placeholder anywhere else (outside a string, in a
 * single-quoted or raw string) is refused rather than inserted unescaped. Inside a regex matcher
 * ({@code =~}) the value is still a regular expression to Prometheus, but cannot leave its string.
 */
public final class ArgResolver {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*args\\.([A-Za-z_][A-Za-z0-9_-]*)\\s*}}");
    private static final int QUOTED_TEMPLATE_CHARS = 40;

    private final SecretLookup secrets;

    public ArgResolver(SecretLookup secrets) {
        this.secrets = secrets;
    }

    /**
     * A template's args with the Rollout's on top: a Rollout arg that has a value or valueFrom
     * replaces the template's arg of that name; template order first, then args only the Rollout has.
     */
    public static List<AnalysisArg> merge(List<AnalysisArg> templateArgs, List<AnalysisArg> rolloutArgs) {
        Map<String, AnalysisArg> byName = new LinkedHashMap<>();
        for (AnalysisArg arg : nullToEmpty(templateArgs)) {
            byName.put(arg.name, copy(arg));
        }
        for (AnalysisArg arg : nullToEmpty(rolloutArgs)) {
            if (arg.value != null || arg.valueFrom != null || !byName.containsKey(arg.name)) {
                byName.put(arg.name, copy(arg));
            }
        }
        return new ArrayList<>(byName.values());
    }

    /**
     * Values for the args, reading Secrets in {@code namespace} (the Rollout's) now: an arg from a
     * Secret is read for every measurement and never stored.
     *
     * @throws MeasurementException naming the arg and the Secret when a Secret or key is missing, or
     *                              a value is not valid text; never with a value
     */
    public ResolvedArgs resolve(String namespace, List<AnalysisArg> args) throws MeasurementException {
        Map<String, String> values = new LinkedHashMap<>();
        Set<String> fromSecrets = new LinkedHashSet<>();
        Set<String> withoutValue = new LinkedHashSet<>();
        for (AnalysisArg arg : nullToEmpty(args)) {
            if (arg.value != null) {
                values.put(arg.name, checkedText(arg.name, arg.value));
            } else if (arg.valueFrom != null && arg.valueFrom.secretKeyRef != null) {
                SecretKeySelector ref = arg.valueFrom.secretKeyRef;
                String value = secrets.value(namespace, ref.name, ref.key).orElseThrow(() -> new MeasurementException(
                        "arg '" + arg.name + "': Secret " + namespace + "/" + ref.name + " does not exist or has no key '"
                                + ref.key + "'"));
                values.put(arg.name, checkedText(arg.name, value));
                fromSecrets.add(arg.name);
            } else {
                withoutValue.add(arg.name);
            }
        }
        return new ResolvedArgs(values, fromSecrets, withoutValue);
    }

    /**
     * The query with every {@code {{args.NAME}}} replaced by the arg's escaped value.
     *
     * @throws MeasurementException when a placeholder names an unknown arg or one without a value, is
     *                              not inside a double-quoted string, or is not of the form {@code {{args.NAME}}}
     */
    public static String render(String template, ResolvedArgs args) throws MeasurementException {
        StringBuilder query = new StringBuilder(template.length() + 64);
        Lexeme lexeme = Lexeme.CODE;
        int i = 0;
        while (i < template.length()) {
            if (lexeme != Lexeme.COMMENT && template.startsWith("{{", i)) {
                Matcher placeholder = PLACEHOLDER.matcher(template).region(i, template.length());
                if (!placeholder.lookingAt()) {
                    throw new MeasurementException("unsupported placeholder at " + excerpt(template, i)
                            + ": only {{args.NAME}} is replaced");
                }
                if (lexeme != Lexeme.DOUBLE_QUOTED) {
                    throw new MeasurementException(placeholder.group() + " must be inside a double-quoted string, "
                            + "where its value is inserted as an escaped string, e.g. {app=\"" + placeholder.group()
                            + "\"}; found " + lexeme.description + " at " + excerpt(template, i));
                }
                query.append(escape(args.value(placeholder.group(1))));
                i = placeholder.end();
                continue;
            }
            char c = template.charAt(i++);
            query.append(c);
            switch (lexeme) {
                case CODE -> lexeme = switch (c) {
                    case '"' -> Lexeme.DOUBLE_QUOTED;
                    case '\'' -> Lexeme.SINGLE_QUOTED;
                    case '`' -> Lexeme.RAW;
                    case '#' -> Lexeme.COMMENT;
                    default -> Lexeme.CODE;
                };
                case DOUBLE_QUOTED, SINGLE_QUOTED -> {
                    if (c == '\\' && i < template.length()) {
                        query.append(template.charAt(i++)); // an escaped character never ends the string
                    } else if (c == lexeme.closing) {
                        lexeme = Lexeme.CODE;
                    }
                }
                case RAW, COMMENT -> {
                    if (c == lexeme.closing) {
                        lexeme = Lexeme.CODE;
                    }
                }
            }
        }
        return query.toString();
    }

    /**
     * {@code value} as the content of a PromQL double-quoted string: the escapes of Go string
     * literals, which PromQL uses. A single quote needs none inside double quotes (and {@code \'}
     * would be invalid there).
     */
    public static String escape(String value) {
        StringBuilder escaped = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> escaped.append("\\\\");
                case '"' -> escaped.append("\\\"");
                case '\n' -> escaped.append("\\n");
                case '\r' -> escaped.append("\\r");
                case '\t' -> escaped.append("\\t");
                case '\u0007' -> escaped.append("\\a");
                case '\b' -> escaped.append("\\b");
                case '\f' -> escaped.append("\\f");
                case '\u000b' -> escaped.append("\\v");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        escaped.append(String.format("\\x%02x", (int) c));
                    } else {
                        escaped.append(c);
                    }
                }
            }
        }
        return escaped.toString();
    }

    /** Where a lexer of PromQL is, as far as placeholders care. */
    private enum Lexeme {
        CODE('\0', "PromQL code"),
        DOUBLE_QUOTED('"', "a double-quoted string"),
        SINGLE_QUOTED('\'', "a single-quoted string"),
        RAW('`', "a raw string"),
        COMMENT('\n', "a comment");

        final char closing;
        final String description;

        Lexeme(char closing, String description) {
            this.closing = closing;
            this.description = description;
        }
    }

    /** An unpaired surrogate cannot be sent as UTF-8: refuse it instead of letting the encoder replace it. */
    private static String checkedText(String name, String value) throws MeasurementException {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new MeasurementException("arg '" + name + "' is not valid Unicode text (unpaired surrogate)");
            }
        }
        return value;
    }

    private static String excerpt(String template, int at) {
        String rest = template.substring(at, Math.min(template.length(), at + QUOTED_TEMPLATE_CHARS));
        return "offset " + at + " ('" + rest + (at + QUOTED_TEMPLATE_CHARS < template.length() ? "…'" : "'") + ")";
    }

    private static AnalysisArg copy(AnalysisArg arg) {
        AnalysisArg copy = new AnalysisArg();
        copy.name = arg.name;
        copy.value = arg.value;
        copy.valueFrom = arg.valueFrom;
        return copy;
    }

    private static <T> List<T> nullToEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
