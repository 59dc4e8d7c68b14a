package io.sluice.analysis;

import io.sluice.api.v1alpha1.AnalysisArg;
import io.sluice.api.v1alpha1.Metric;
import io.sluice.api.v1alpha1.PrometheusCredentials;
import io.sluice.api.v1alpha1.PrometheusMetric;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where an arg from a Secret may be used: only as a metric's credential
 * ({@code provider.prometheus.credentials}), which the operator sends in the Authorization header of
 * a request to an endpoint of its own configuration. Never in a query or a trafficQuery: their
 * answers are the template author's to read, and a query such as {@code up{x=~"{{args.token}}a.*"}}
 * recovers the value a character at a time. Checked on the run's spec before any measurement (and
 * again when a query is rendered), so a refused Secret is never read nor sent.
 */
public final class SecretArgUse {
    private static final Pattern ANY_PLACEHOLDER = Pattern.compile("\\{\\{\\s*args\\.([A-Za-z_][A-Za-z0-9_-]*)\\s*}}");

    private SecretArgUse() {
    }

    /**
     * Every misuse of an arg in {@code metrics}, one sentence each naming the metric, the arg and the
     * field, never a value: a Secret-valued arg in a query, a credential naming an undeclared arg, a
     * token or password that is not from a Secret.
     */
    public static List<String> problems(List<Metric> metrics, List<AnalysisArg> args) {
        Map<String, AnalysisArg> byName = new LinkedHashMap<>();
        for (AnalysisArg arg : args == null ? List.<AnalysisArg>of() : args) {
            if (arg != null && arg.name != null) {
                byName.put(arg.name, arg);
            }
        }
        List<String> problems = new ArrayList<>();
        for (Metric metric : metrics == null ? List.<Metric>of() : metrics) {
            PrometheusMetric prometheus = metric.provider == null ? null : metric.provider.prometheus;
            String where = "metric " + metric.name + ": ";
            if (prometheus != null) {
                secretPlaceholders(prometheus.query, byName)
                        .forEach(arg -> problems.add(where + inQuery(arg, "provider.prometheus.query")));
            }
            if (metric.noData != null) {
                secretPlaceholders(metric.noData.trafficQuery, byName)
                        .forEach(arg -> problems.add(where + inQuery(arg, "noData.trafficQuery")));
            }
            PrometheusCredentials credentials = prometheus == null ? null : prometheus.credentials;
            if (credentials != null) {
                if ((credentials.bearerTokenArg == null) == (credentials.passwordArg == null)
                        || (credentials.usernameArg == null) != (credentials.passwordArg == null)) {
                    problems.add(where + "provider.prometheus.credentials needs bearerTokenArg, or usernameArg and passwordArg");
                }
                credential(where, "bearerTokenArg", credentials.bearerTokenArg, true, byName, problems);
                credential(where, "usernameArg", credentials.usernameArg, false, byName, problems);
                credential(where, "passwordArg", credentials.passwordArg, true, byName, problems);
            }
        }
        return problems;
    }

    static String inQuery(String arg, String field) {
        return "arg '" + arg + "' comes from a Secret and cannot be used in " + field
                + ": the answer of a query is readable by its author and would reveal the value. "
                + "An arg from a Secret may only be provider.prometheus.credentials";
    }

    static String literalCredential(String arg) {
        return "arg '" + arg + "' is a credential and must come from a Secret (valueFrom.secretKeyRef), not a literal value";
    }

    private static void credential(String where, String field, String name, boolean mustBeSecret,
            Map<String, AnalysisArg> args, List<String> problems) {
        if (name == null) {
            return;
        }
        AnalysisArg arg = args.get(name);
        if (arg == null) {
            problems.add(where + "provider.prometheus.credentials." + field + " names arg '" + name
                    + "', which is not declared" + (args.isEmpty() ? "" : " (args: " + String.join(", ", args.keySet()) + ")"));
        } else if (mustBeSecret && !fromSecret(arg)) {
            problems.add(where + "provider.prometheus.credentials." + field + ": " + literalCredential(name));
        }
    }

    private static List<String> secretPlaceholders(String template, Map<String, AnalysisArg> args) {
        List<String> found = new ArrayList<>();
        if (template == null) {
            return found;
        }
        // anywhere in the text, a comment included: conservative, and a comment needs no Secret
        Matcher placeholder = ANY_PLACEHOLDER.matcher(template);
        while (placeholder.find()) {
            AnalysisArg arg = args.get(placeholder.group(1));
            if (arg != null && fromSecret(arg) && !found.contains(arg.name)) {
                found.add(arg.name);
            }
        }
        return found;
    }

    private static boolean fromSecret(AnalysisArg arg) {
        return arg.value == null && arg.valueFrom != null && arg.valueFrom.secretKeyRef != null;
    }
}
