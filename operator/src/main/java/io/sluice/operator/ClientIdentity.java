package io.sluice.operator;

import io.fabric8.kubernetes.client.Config;
import io.quarkus.kubernetes.client.KubernetesConfigCustomizer;
import jakarta.inject.Singleton;

/**
 * Names the operator to the API server. Sluice writes with create and update (no server-side
 * apply), for which the API server takes the field manager recorded in managedFields from the
 * User-Agent: so every field Sluice writes is attributed to "sluice".
 */
@Singleton
public class ClientIdentity implements KubernetesConfigCustomizer {
    public static final String USER_AGENT = "sluice/0.1.0";

    @Override
    public void customize(Config config) {
        config.setUserAgent(USER_AGENT);
    }
}
