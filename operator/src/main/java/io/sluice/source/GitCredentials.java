package io.sluice.source;

import io.fabric8.kubernetes.api.model.Secret;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Credentials for a Git repository, from the Secret named by a Rollout's {@code source.git.secretRef}.
 * Secret values never appear in toString(), and nothing here puts them in an exception message.
 */
public sealed interface GitCredentials permits GitCredentials.Https, GitCredentials.Ssh {

    /** Secret keys, as documented on the Rollout's {@code secretRef}. */
    String USERNAME = "username";
    String PASSWORD = "password";
    String IDENTITY = "identity";
    String KNOWN_HOSTS = "known_hosts";

    /** HTTP(S) basic authentication; the password is usually an access token. */
    record Https(String username, String password) implements GitCredentials {
        @Override
        public String toString() {
            return "Https[username=" + username + ", password=<redacted>]";
        }
    }

    /**
     * An SSH private key, and the host keys the server must present: the only ones trusted, as there is
     * no one to ask about an unknown key and no ~/.ssh/known_hosts to learn it into.
     *
     * @param identity   the private key, OpenSSH or PEM format, unencrypted
     * @param knownHosts lines in OpenSSH known_hosts format
     */
    record Ssh(String identity, String knownHosts) implements GitCredentials {
        @Override
        public String toString() {
            return "Ssh[identity=<redacted>, knownHosts=<" + knownHosts.lines().count() + " line(s)>]";
        }
    }

    /**
     * Reads {@code username} + {@code password} (HTTPS; the username defaults to {@code git}) or
     * {@code identity} + {@code known_hosts} (SSH) from the Secret's {@code stringData} or base64 {@code data}.
     *
     * @throws SourceException with reason InvalidSecret naming the missing or unreadable keys, never a value
     */
    static GitCredentials fromSecret(Secret secret) throws SourceException {
        String name = secret.getMetadata() == null ? "(unnamed)" : secret.getMetadata().getName();
        Optional<String> password = value(secret, name, PASSWORD);
        Optional<String> identity = value(secret, name, IDENTITY);
        if (password.isPresent() && identity.isPresent()) {
            throw invalid(name, "holds both '" + PASSWORD + "' (HTTPS) and '" + IDENTITY + "' (SSH); keep only the "
                    + "one the repository URL needs");
        }
        if (password.isPresent()) {
            return new Https(value(secret, name, USERNAME).orElse("git"), password.get());
        }
        if (identity.isPresent()) {
            Optional<String> knownHosts = value(secret, name, KNOWN_HOSTS);
            if (knownHosts.isEmpty()) {
                throw invalid(name, "has '" + IDENTITY + "' but no '" + KNOWN_HOSTS + "': SSH needs the server's host "
                        + "keys in OpenSSH known_hosts format (for example from ssh-keyscan, checked against the host's "
                        + "published fingerprints)");
            }
            return new Ssh(identity.get(), knownHosts.get());
        }
        List<String> present = new ArrayList<>();
        value(secret, name, USERNAME).ifPresent(v -> present.add(USERNAME));
        value(secret, name, KNOWN_HOSTS).ifPresent(v -> present.add(KNOWN_HOSTS));
        throw invalid(name, "has neither '" + PASSWORD + "' (HTTPS, with optional '" + USERNAME + "') nor '"
                + IDENTITY + "' and '" + KNOWN_HOSTS + "' (SSH)"
                + (present.isEmpty() ? "" : "; it has only " + String.join(", ", present)));
    }

    /** A non-blank value; stringData first, as it overrides data when the API server stores the Secret. */
    private static Optional<String> value(Secret secret, String name, String key) throws SourceException {
        String plain = secret.getStringData() == null ? null : secret.getStringData().get(key);
        if (plain != null) {
            return Optional.of(plain).filter(v -> !v.isBlank());
        }
        String encoded = secret.getData() == null ? null : secret.getData().get(key);
        if (encoded == null) {
            return Optional.empty();
        }
        try {
            String decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
            return Optional.of(decoded).filter(v -> !v.isBlank());
        } catch (IllegalArgumentException e) {
            throw invalid(name, "has a '" + key + "' in data that is not valid base64");
        }
    }

    private static SourceException invalid(String name, String problem) {
        return new SourceException("InvalidSecret", "Secret " + name + " (source.git.secretRef) " + problem);
    }
}
