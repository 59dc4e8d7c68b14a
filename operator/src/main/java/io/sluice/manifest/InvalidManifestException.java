package io.sluice.manifest;

/** A revision whose manifests cannot be used; the message names the file and the problem. */
public class InvalidManifestException extends Exception {
    private final String reason;

    public InvalidManifestException(String message) {
        this("InvalidManifest", message);
    }

    /** @param reason the SourceReady condition's reason: InvalidManifest, or ManifestTooLarge for a limit */
    public InvalidManifestException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
