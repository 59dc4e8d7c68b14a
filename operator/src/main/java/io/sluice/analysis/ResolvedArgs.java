package io.sluice.analysis;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The args of one measurement with their values. Values read from Secrets are kept apart so that
 * {@link #redact(String)} can strip them from any message (a provider may quote the query back),
 * and {@link #toString()} never shows them.
 */
public final class ResolvedArgs {
    static final String REDACTED = "<redacted>";

    private final Map<String, String> values;
    private final Set<String> fromSecrets;
    private final Set<String> withoutValue;

    ResolvedArgs(Map<String, String> values, Set<String> fromSecrets, Set<String> withoutValue) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.fromSecrets = Collections.unmodifiableSet(new LinkedHashSet<>(fromSecrets));
        this.withoutValue = Collections.unmodifiableSet(new LinkedHashSet<>(withoutValue));
    }

    /** No args: a query without placeholders. */
    public static ResolvedArgs none() {
        return new ResolvedArgs(Map.of(), Set.of(), Set.of());
    }

    /**
     * The value of the arg a query names: never one from a Secret, since the query's answer is the
     * template author's to read (a regex matcher on the value recovers it a character at a time).
     *
     * @throws MeasurementException when no arg of that name is declared, it has no value, or it comes
     *                              from a Secret
     */
    public String value(String name) throws MeasurementException {
        if (fromSecrets.contains(name)) {
            throw new MeasurementException(SecretArgUse.inQuery(name, "a query"));
        }
        return anyValue(name);
    }

    /**
     * The value of an arg a metric names as its credential ({@code provider.prometheus.credentials}),
     * which goes into the request's Authorization header only.
     *
     * @param mustBeSecret whether the arg has to come from a Secret (a token or password)
     * @throws MeasurementException when no arg of that name is declared, it has no value, or it is a
     *                              literal where a Secret is required
     */
    public String credential(String name, boolean mustBeSecret) throws MeasurementException {
        if (mustBeSecret && values.containsKey(name) && !fromSecrets.contains(name)) {
            throw new MeasurementException(SecretArgUse.literalCredential(name));
        }
        return anyValue(name);
    }

    private String anyValue(String name) throws MeasurementException {
        String value = values.get(name);
        if (value != null) {
            return value;
        }
        if (withoutValue.contains(name)) {
            throw new MeasurementException("arg '" + name + "' has no value: give it one in the Rollout's analysis "
                    + "args, or a default in the template");
        }
        Set<String> declared = new LinkedHashSet<>(values.keySet());
        declared.addAll(withoutValue);
        throw new MeasurementException("the query uses {{args." + name + "}}, but no arg '" + name + "' is declared"
                + (declared.isEmpty() ? " (there are no args)" : " (args: " + String.join(", ", declared) + ")"));
    }

    /** {@code text} with every value that came from a Secret, raw or escaped for PromQL, replaced. */
    public String redact(String text) {
        String redacted = text;
        for (String name : fromSecrets) {
            String value = values.get(name);
            if (!value.isEmpty()) {
                // the escaped form first (it may contain the raw value), so no piece of it is left behind
                redacted = redacted.replace(ArgResolver.escape(value), REDACTED).replace(value, REDACTED);
            }
        }
        return redacted;
    }

    @Override
    public String toString() {
        return values.entrySet().stream()
                .map(e -> e.getKey() + "=" + (fromSecrets.contains(e.getKey()) ? REDACTED : e.getValue()))
                .collect(Collectors.joining(", ", "ResolvedArgs[", "]"));
    }
}
