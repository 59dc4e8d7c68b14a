package io.sluice.source;

/** A source that cannot be read; the reason becomes the SourceReady condition's reason. */
public class SourceException extends Exception {
    private final String reason;

    public SourceException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    public SourceException(String reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
