package io.sluice.source.jgit;

import io.sluice.source.SourceException;
import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.sshd.ServerKeyDatabase;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The host keys an SSH server may present, from the known_hosts of a Rollout's Secret, checked strictly:
 * a key that is not listed for the host is refused, never accepted or remembered. There is nobody to ask
 * and no ~/.ssh/known_hosts to learn a new key into, and accepting an unknown key would let anyone who
 * can redirect the connection serve manifests to the cluster.
 * <p>
 * Hashed host names, {@code [host]:port} patterns, wildcards and {@code @revoked} lines work as in
 * OpenSSH; {@code @cert-authority} lines are ignored (host certificates are not trusted through them).
 * One instance serves one fetch and remembers why it refused a key, so the failure can say so.
 */
final class TrustedHostKeys implements ServerKeyDatabase {
    private static final int DEFAULT_SSH_PORT = 22;
    private static final String REVOKED = "revoked";

    private record Entry(KnownHostEntry hosts, PublicKey key, boolean revoked) {
    }

    /** Why a server's host key was refused: reason HostKeyUnknown or HostKeyMismatch, and what to tell. */
    record Refusal(String reason, String message) {
    }

    private final List<Entry> entries;
    private volatile Refusal refusal;

    private TrustedHostKeys(List<Entry> entries) {
        this.entries = entries;
    }

    /**
     * Parses known_hosts content; lines with key types this client does not know are skipped.
     *
     * @throws SourceException InvalidSecret naming the first unreadable line, or when no usable line remains
     */
    static TrustedHostKeys parse(String knownHosts) throws SourceException {
        List<Entry> entries = new ArrayList<>();
        List<String> lines = knownHosts.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            KnownHostEntry entry;
            PublicKey key;
            try {
                entry = KnownHostEntry.parseKnownHostEntry(line);
                key = entry == null || entry.getKeyEntry() == null ? null
                        : entry.getKeyEntry().resolvePublicKey(null, PublicKeyEntryResolver.IGNORING);
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                throw invalidLine(i + 1);
            }
            if (entry == null || entry.getKeyEntry() == null) {
                throw invalidLine(i + 1);
            }
            // An unknown key type is skipped, as OpenSSH does; a host certificate authority is not supported.
            if (key != null && !"cert-authority".equals(entry.getMarker())) {
                entries.add(new Entry(entry, key, REVOKED.equals(entry.getMarker())));
            }
        }
        if (entries.stream().noneMatch(e -> !e.revoked())) {
            throw new SourceException("InvalidSecret", "the Secret's known_hosts lists no host key this client can "
                    + "use (ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa)");
        }
        return new TrustedHostKeys(List.copyOf(entries));
    }

    private static SourceException invalidLine(int number) {
        return new SourceException("InvalidSecret", "line " + number + " of the Secret's known_hosts is not a "
                + "known_hosts entry (host patterns, key type, base64 key)");
    }

    /** What the last refused host key was refused for, if one was. */
    Optional<Refusal> refusal() {
        return Optional.ofNullable(refusal);
    }

    /** The trusted keys of the host, so that the client negotiates a host key type it can check. */
    @Override
    public List<PublicKey> lookup(String connectAddress, InetSocketAddress remoteAddress, Configuration config) {
        HostAndPort host = HostAndPort.of(connectAddress);
        return entries.stream().filter(e -> !e.revoked() && host.matches(e)).map(Entry::key).toList();
    }

    @Override
    public boolean accept(String connectAddress, InetSocketAddress remoteAddress, PublicKey serverKey,
            Configuration config, CredentialsProvider provider) {
        HostAndPort host = HostAndPort.of(connectAddress);
        List<Entry> forHost = entries.stream().filter(host::matches).toList();
        String fingerprint = KeyUtils.getFingerPrint(serverKey);
        if (forHost.stream().anyMatch(e -> e.revoked() && KeyUtils.compareKeys(e.key(), serverKey))) {
            refusal = new Refusal("HostKeyMismatch", "the SSH host key of " + connectAddress + " (" + fingerprint
                    + ") is marked @revoked in the Secret's known_hosts; it was not trusted");
            return false;
        }
        if (forHost.stream().anyMatch(e -> !e.revoked() && KeyUtils.compareKeys(e.key(), serverKey))) {
            return true;
        }
        refusal = forHost.stream().anyMatch(e -> !e.revoked())
                ? new Refusal("HostKeyMismatch", "the SSH host key of " + connectAddress + " (" + fingerprint
                        + ") differs from the one the Secret's known_hosts lists for it; it was not trusted (the "
                        + "host key changed, or the connection is intercepted)")
                : new Refusal("HostKeyUnknown", "the SSH host key of " + connectAddress + " (" + fingerprint
                        + ") is not in the Secret's known_hosts; it was not trusted (add it to known_hosts once "
                        + "you have checked it)");
        return false;
    }

    /** JGit names the host as known_hosts would: {@code host} on port 22, {@code [host]:port} otherwise. */
    private record HostAndPort(String host, int port) {
        static HostAndPort of(String connectAddress) {
            int close = connectAddress.lastIndexOf("]:");
            if (connectAddress.startsWith("[") && close > 0) {
                return new HostAndPort(connectAddress.substring(1, close),
                        Integer.parseInt(connectAddress.substring(close + 2)));
            }
            return new HostAndPort(connectAddress, DEFAULT_SSH_PORT);
        }

        boolean matches(Entry entry) {
            return entry.hosts().isHostMatch(host, port);
        }
    }
}
