package io.sluice.operator;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sluice.analysis.MeasurementException;
import io.sluice.analysis.SecretLookup;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/** Secrets read from the API server for analyses: arg values and Prometheus credentials. */
@ApplicationScoped
public class ClusterSecrets implements SecretLookup {
    private final KubernetesClient client;

    public ClusterSecrets(KubernetesClient client) {
        this.client = client;
    }

    @Override
    public Optional<String> value(String namespace, String name, String key) throws MeasurementException {
        Secret secret;
        try {
            secret = client.secrets().inNamespace(namespace).withName(name).get();
        } catch (KubernetesClientException e) {
            throw new MeasurementException("cannot read Secret " + namespace + "/" + name + ": HTTP " + e.getCode()
                    + (e.getStatus() == null || e.getStatus().getReason() == null ? "" : " " + e.getStatus().getReason()));
        }
        if (secret == null) {
            return Optional.empty();
        }
        // stringData first: it overrides data when the API server stores the Secret
        if (secret.getStringData() != null && secret.getStringData().containsKey(key)) {
            return Optional.of(secret.getStringData().get(key));
        }
        String encoded = secret.getData() == null ? null : secret.getData().get(key);
        if (encoded == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new MeasurementException("Secret " + namespace + "/" + name + " has a '" + key
                    + "' in data that is not valid base64");
        }
    }
}
