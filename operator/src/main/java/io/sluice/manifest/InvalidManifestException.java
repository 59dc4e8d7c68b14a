package io.sluice.manifest;

/** A revision whose manifests cannot be used; the message names the file and the problem. */
public class InvalidManifestException extends Exception {
    public InvalidManifestException(String message) {
        super(message);
    }
}
