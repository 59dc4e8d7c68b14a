package io.sluice.analysis;

import java.util.Optional;

/** Reads one key of a Kubernetes Secret, so the analysis code needs no API client and tests can fake it. */
@FunctionalInterface
public interface SecretLookup {

    /**
     * The decoded value of {@code key} in Secret {@code namespace/name}.
     *
     * @return empty when the Secret or the key does not exist
     * @throws MeasurementException when the Secret cannot be read (API unreachable, access denied);
     *                              the message names the Secret, never a value
     */
    Optional<String> value(String namespace, String name, String key) throws MeasurementException;
}
