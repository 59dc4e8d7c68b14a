package io.sluice.source;

/** HTTPS credentials from the Rollout's Secret. The password never appears in toString(). */
public record GitCredentials(String username, String password) {
    @Override
    public String toString() {
        return "GitCredentials[username=" + username + ", password=<redacted>]";
    }
}
