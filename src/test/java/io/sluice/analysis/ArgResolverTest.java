package io.sluice.analysis;

import io.sluice.api.v1alpha1.AnalysisArg;
import io.sluice.api.v1alpha1.ArgValueFrom;
import io.sluice.api.v1alpha1.SecretKeySelector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ArgResolverTest {
    private static final String SECRET = "s3cr3t-\"tenant\"";
    private final Map<String, String> secretData = Map.of("shop/prom-tenant/id", SECRET);
    private final ArgResolver resolver = new ArgResolver(
            (namespace, name, key) -> Optional.ofNullable(secretData.get(namespace + "/" + name + "/" + key)));

    @Test
    void rolloutValuesOverrideTemplateDefaults() throws MeasurementException {
        List<AnalysisArg> merged = ArgResolver.merge(
                List.of(arg("service", "checkout"), arg("window", "1m"), argWithoutValue("namespace")),
                List.of(arg("service", "payments"), argWithoutValue("window"), arg("namespace", "shop"), arg("extra", "x")));

        ResolvedArgs args = resolver.resolve("shop", merged);

        assertThat(args.value("service")).isEqualTo("payments");
        assertThat(args.value("window")).as("a Rollout arg without a value keeps the default").isEqualTo("1m");
        assertThat(args.value("namespace")).isEqualTo("shop");
        assertThat(args.value("extra")).isEqualTo("x");
        assertThat(merged).extracting(a -> a.name).containsExactly("service", "window", "namespace", "extra");
    }

    @Test
    void aRolloutSecretReplacesATemplateValue() throws MeasurementException {
        List<AnalysisArg> merged = ArgResolver.merge(List.of(arg("tenant", "public")), List.of(secretArg("tenant", "prom-tenant", "id")));

        assertThat(resolver.resolve("shop", merged).credential("tenant", true)).isEqualTo(SECRET);
    }

    @Test
    void mergingDoesNotModifyTheGivenArgs() {
        AnalysisArg template = arg("service", "checkout");

        ArgResolver.merge(List.of(template), List.of(arg("service", "payments")));

        assertThat(template.value).isEqualTo("checkout");
    }

    @Test
    void valuesAreInsertedAsStringContent() throws MeasurementException {
        ResolvedArgs args = resolver.resolve("shop", List.of(arg("service", "checkout")));

        assertThat(ArgResolver.render(
                "sum(rate(istio_requests_total{destination_workload=\"{{args.service}}-canary\",response_code=~\"5..\"}[1m]))"
                        + " / sum(rate(istio_requests_total{destination_workload=\"{{ args.service }}-canary\"}[1m]))", args))
                .isEqualTo("sum(rate(istio_requests_total{destination_workload=\"checkout-canary\",response_code=~\"5..\"}[1m]))"
                        + " / sum(rate(istio_requests_total{destination_workload=\"checkout-canary\"}[1m]))");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
            "a\"b                          | a\\\"b",
            "back\\slash                   | back\\\\slash",
            "\"} or vector(1) or {x=\"     | \\\"} or vector(1) or {x=\\\"",
            "{{args.other}}                | {{args.other}}",
            "it's                          | it's",
            "`raw`                         | `raw`",
            "ünïcödé ✓                     | ünïcödé ✓",
    })
    void hostileValuesStayInsideTheirString(String value, String escaped) throws MeasurementException {
        ResolvedArgs args = resolver.resolve("shop", List.of(arg("v", value)));

        assertThat(ArgResolver.render("up{job=\"{{args.v}}\"}", args)).isEqualTo("up{job=\"" + escaped + "\"}");
    }

    @Test
    void controlCharactersAreEscapedTheGoWay() {
        assertThat(ArgResolver.escape("a\nb\rc\td\u0007e\bf\fg\u000bh\u0000i\u001bj\u007fk"))
                .isEqualTo("a\\nb\\rc\\td\\ae\\bf\\fg\\vh\\x00i\\x1bj\\x7fk");
    }

    @Test
    void escapedQuotesInTheTemplateDoNotEndItsString() throws MeasurementException {
        ResolvedArgs args = resolver.resolve("shop", List.of(arg("v", "x")));

        assertThat(ArgResolver.render("label_replace(up, \"l\", \"\\\"{{args.v}}\\\"\", \"\", \"\")", args))
                .isEqualTo("label_replace(up, \"l\", \"\\\"x\\\"\", \"\", \"\")");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "rate(x[{{args.v}}])",
            "up{job='{{args.v}}'}",
            "up{job=`{{args.v}}`}",
            "up{job=\"a\"} + {{args.v}}",
    })
    void aPlaceholderOutsideADoubleQuotedStringIsRefused(String template) throws MeasurementException {
        ResolvedArgs args = resolver.resolve("shop", List.of(arg("v", "5m")));

        assertThatThrownBy(() -> ArgResolver.render(template, args))
                .isInstanceOf(MeasurementException.class)
                .hasMessageContaining("{{args.v}} must be inside a double-quoted string");
    }

    @Test
    void placeholdersInCommentsAreLeftAlone() throws MeasurementException {
        ResolvedArgs args = resolver.resolve("shop", List.of(arg("v", "x")));

        assertThat(ArgResolver.render("# uses {{args.v}} \"\nup{job=\"{{args.v}}\"}", args))
                .isEqualTo("# uses {{args.v}} \"\nup{job=\"x\"}");
    }

    @Test
    void anUnknownArgIsAClearError() throws MeasurementException {
        ResolvedArgs args = resolver.resolve("shop", List.of(arg("service", "checkout"), argWithoutValue("env")));

        assertThatThrownBy(() -> ArgResolver.render("up{job=\"{{args.servce}}\"}", args))
                .hasMessage("the query uses {{args.servce}}, but no arg 'servce' is declared (args: service, env)");
        assertThatThrownBy(() -> ArgResolver.render("up{env=\"{{args.env}}\"}", args))
                .hasMessageStartingWith("arg 'env' has no value");
    }

    @Test
    void anythingButArgsInBracesIsRefused() {
        assertThatThrownBy(() -> ArgResolver.render("up{job=\"{{ .Values.job }}\"}", ResolvedArgs.none()))
                .hasMessageStartingWith("unsupported placeholder at offset 8 ('{{ .Values.job }}\"}')");
    }

    @Test
    void secretValuesNeverShowInMessagesOrToString() throws MeasurementException {
        ResolvedArgs args = resolver.resolve("shop", List.of(arg("service", "checkout"), secretArg("tenant", "prom-tenant", "id")));

        assertThat(args.toString()).isEqualTo("ResolvedArgs[service=checkout, tenant=<redacted>]");
        assertThat(args.redact("401: invalid token " + SECRET + " (" + ArgResolver.escape(SECRET) + ")"))
                .isEqualTo("401: invalid token <redacted> (<redacted>)");
    }

    @Test
    void aSecretArgIsNeverRenderedIntoAQuery() throws MeasurementException {
        // The probe: a regex prefix per measurement recovers the value a character at a time.
        ResolvedArgs args = resolver.resolve("shop", List.of(secretArg("tenant", "prom-tenant", "id")));

        assertThatThrownBy(() -> ArgResolver.render("count(up{instance=~\"{{args.tenant}}a.*\"})", args))
                .isInstanceOf(MeasurementException.class)
                .hasMessageStartingWith("arg 'tenant' comes from a Secret and cannot be used in a query")
                .hasMessageNotContaining(SECRET);
        assertThat(args.credential("tenant", true)).as("as a credential it is there").isEqualTo(SECRET);
    }

    @Test
    void aLiteralTokenIsRefusedAsACredential() throws MeasurementException {
        ResolvedArgs args = resolver.resolve("shop", List.of(arg("token", "plain"), arg("user", "me")));

        assertThatThrownBy(() -> args.credential("token", true))
                .hasMessage("arg 'token' is a credential and must come from a Secret (valueFrom.secretKeyRef), not a literal value");
        assertThat(args.credential("user", false)).isEqualTo("me");
    }

    @Test
    void aMissingSecretIsNamedWithoutValues() {
        assertThatThrownBy(() -> resolver.resolve("shop", List.of(secretArg("tenant", "prom-tenant", "nope"))))
                .isInstanceOf(MeasurementException.class)
                .hasMessage("arg 'tenant': Secret shop/prom-tenant does not exist or has no key 'nope'");
    }

    @Test
    void textThatCannotBeSentIsRefused() {
        assertThatThrownBy(() -> resolver.resolve("shop", List.of(arg("v", "a\uD800b"))))
                .hasMessage("arg 'v' is not valid Unicode text (unpaired surrogate)");
    }

    private static AnalysisArg arg(String name, String value) {
        AnalysisArg arg = argWithoutValue(name);
        arg.value = value;
        return arg;
    }

    private static AnalysisArg argWithoutValue(String name) {
        AnalysisArg arg = new AnalysisArg();
        arg.name = name;
        return arg;
    }

    private static AnalysisArg secretArg(String name, String secret, String key) {
        AnalysisArg arg = argWithoutValue(name);
        arg.valueFrom = new ArgValueFrom();
        arg.valueFrom.secretKeyRef = new SecretKeySelector();
        arg.valueFrom.secretKeyRef.name = secret;
        arg.valueFrom.secretKeyRef.key = key;
        return arg;
    }
}
