package io.sluice.analysis;

import io.sluice.api.v1alpha1.AnalysisArg;
import io.sluice.api.v1alpha1.ArgValueFrom;
import io.sluice.api.v1alpha1.Metric;
import io.sluice.api.v1alpha1.MetricProvider;
import io.sluice.api.v1alpha1.NoDataPolicy;
import io.sluice.api.v1alpha1.PrometheusCredentials;
import io.sluice.api.v1alpha1.PrometheusMetric;
import io.sluice.api.v1alpha1.SecretKeySelector;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Where a Secret-valued arg may go: a metric's credential, never a query. */
class SecretArgUseTest {
    private static final List<AnalysisArg> ARGS = List.of(literal("service", "checkout"), secret("token"));

    @Test
    void aSecretArgInAQueryOrTrafficQueryIsAProblemNamingArgMetricAndField() {
        Metric metric = metric("up{job=\"{{args.service}}\",x=~\"{{ args.token }}.*\"}");
        metric.noData = new NoDataPolicy();
        metric.noData.trafficQuery = "sum(up{x=\"{{args.token}}\"})";

        assertThat(SecretArgUse.problems(List.of(metric), ARGS)).hasSize(2)
                .allSatisfy(p -> assertThat(p).startsWith("metric error-rate: arg 'token' comes from a Secret and cannot be used in "))
                .anySatisfy(p -> assertThat(p).contains("provider.prometheus.query"))
                .anySatisfy(p -> assertThat(p).contains("noData.trafficQuery"));
    }

    @Test
    void literalArgsInQueriesAndSecretCredentialsAreFine() {
        Metric metric = metric("up{job=\"{{args.service}}\"}");
        metric.provider.prometheus.credentials = new PrometheusCredentials();
        metric.provider.prometheus.credentials.bearerTokenArg = "token";

        assertThat(SecretArgUse.problems(List.of(metric), ARGS)).isEmpty();
    }

    @Test
    void aCredentialMustNameADeclaredArgFromASecret() {
        Metric literal = metric("up");
        literal.provider.prometheus.credentials = new PrometheusCredentials();
        literal.provider.prometheus.credentials.bearerTokenArg = "service";
        Metric undeclared = metric("up");
        undeclared.name = "latency";
        undeclared.provider.prometheus.credentials = new PrometheusCredentials();
        undeclared.provider.prometheus.credentials.usernameArg = "service";
        undeclared.provider.prometheus.credentials.passwordArg = "nope";

        assertThat(SecretArgUse.problems(List.of(literal, undeclared), ARGS)).containsExactly(
                "metric error-rate: provider.prometheus.credentials.bearerTokenArg: arg 'service' is a credential and must "
                        + "come from a Secret (valueFrom.secretKeyRef), not a literal value",
                "metric latency: provider.prometheus.credentials.passwordArg names arg 'nope', which is not declared "
                        + "(args: service, token)");
    }

    private static Metric metric(String query) {
        Metric metric = new Metric();
        metric.name = "error-rate";
        metric.provider = new MetricProvider();
        metric.provider.prometheus = new PrometheusMetric();
        metric.provider.prometheus.query = query;
        return metric;
    }

    private static AnalysisArg literal(String name, String value) {
        AnalysisArg arg = new AnalysisArg();
        arg.name = name;
        arg.value = value;
        return arg;
    }

    private static AnalysisArg secret(String name) {
        AnalysisArg arg = new AnalysisArg();
        arg.name = name;
        arg.valueFrom = new ArgValueFrom();
        arg.valueFrom.secretKeyRef = new SecretKeySelector();
        arg.valueFrom.secretKeyRef.name = "tenant";
        arg.valueFrom.secretKeyRef.key = name;
        return arg;
    }
}
