package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * The tenant's own credential for a configured Prometheus (a multi-tenant gateway such as Mimir,
 * Cortex or Thanos behind an authenticating proxy). The only place a Secret-valued arg may be used:
 * it goes into the request's Authorization header, whose answer tells the author nothing of it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.bearerTokenArg) != has(self.passwordArg)",
        message = "set bearerTokenArg, or usernameArg and passwordArg")
@ValidationRule(value = "has(self.usernameArg) == has(self.passwordArg)",
        message = "usernameArg and passwordArg go together")
@JsonClassDescription("The metric's own credential for its Prometheus endpoint, taken from args backed by Secrets.")
public class PrometheusCredentials {
    @Pattern("^[A-Za-z_][A-Za-z0-9_-]*$")
    @JsonPropertyDescription("Name of an arg from a Secret (valueFrom.secretKeyRef), sent as `Authorization: Bearer <value>`.")
    public String bearerTokenArg;

    @Pattern("^[A-Za-z_][A-Za-z0-9_-]*$")
    @JsonPropertyDescription("Name of an arg (a literal value or from a Secret) used as the basic-auth user name.")
    public String usernameArg;

    @Pattern("^[A-Za-z_][A-Za-z0-9_-]*$")
    @JsonPropertyDescription("Name of an arg from a Secret (valueFrom.secretKeyRef) used as the basic-auth password.")
    public String passwordArg;
}
