package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class PrometheusMetric {
    @Default(Defaults.PROMETHEUS_PROVIDER)
    @Pattern(Defaults.NAME_PATTERN)
    @JsonPropertyDescription("Name of a Prometheus endpoint in the operator's configuration. Tenants choose among "
            + "the endpoints the platform team configured; they cannot point the operator at another URL.")
    public String provider;

    @Required
    @Size(min = 1, max = 4096)
    @JsonPropertyDescription("PromQL instant query. {{args.NAME}} is replaced by the arg's value as an escaped "
            + "string literal, so write it where a string belongs, e.g. {app=\"{{args.service}}\"} becomes "
            + "{app=\"checkout\"}. An arg from a Secret cannot be used here (InvalidSpec): use it in credentials.")
    public String query;

    @JsonPropertyDescription("The metric's own credential for an endpoint configured without one (a multi-tenant "
            + "gateway): args from Secrets, sent only in the Authorization header. Secret-valued args cannot be used "
            + "in a query, whose answer the author reads.")
    public PrometheusCredentials credentials;
}
