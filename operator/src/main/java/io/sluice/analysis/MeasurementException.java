package io.sluice.analysis;

/**
 * A measurement cannot be taken: an arg or a Secret cannot be resolved, the query template is
 * wrong, or the provider failed. The message says why and never holds a secret value.
 */
public class MeasurementException extends Exception {
    public MeasurementException(String message) {
        super(message);
    }

    public MeasurementException(String message, Throwable cause) {
        super(message, cause);
    }
}
