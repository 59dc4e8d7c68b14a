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
     * The value of the arg a query names.
     *
     * @throws MeasurementException when no arg of that name is declared, or it has no value
     */
    public String value(String name) throws MeasurementException {
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
