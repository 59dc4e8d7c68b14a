package io.sluice.operator;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.kubernetes.client.KubernetesClientObjectMapperCustomizer;
import io.sluice.api.UnknownFields;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * The operator's client reads Sluice's resources leniently ({@link UnknownFields}): one Rollout with a
 * field this version does not know must not fail the watch that every other Rollout comes in on.
 */
@Singleton
public class LenientReads implements KubernetesClientObjectMapperCustomizer {
    private static final Logger LOG = Logger.getLogger(LenientReads.class);

    @Override
    public void customize(ObjectMapper mapper) {
        UnknownFields.logTo(LOG::warn);
        UnknownFields.tolerate(mapper);
    }
}
