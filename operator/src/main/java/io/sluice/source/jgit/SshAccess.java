package io.sluice.source.jgit;

import io.sluice.source.GitCredentials;
import io.sluice.source.SourceException;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.eclipse.jgit.transport.SshSessionFactory;
import org.eclipse.jgit.transport.sshd.SshdSessionFactory;
import org.eclipse.jgit.transport.sshd.SshdSessionFactoryBuilder;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * JGit's SSH client (Apache MINA sshd) for one fetch, set up from a Secret alone: its private key is the only
 * identity, its known_hosts the only trusted host keys. Nothing of the operator user's SSH setup is read or
 * written (no ~/.ssh/config, keys, known_hosts, or ssh-agent), so one tenant's fetch cannot use another's
 * key, and what a fetch trusts is what the Secret says.
 */
final class SshAccess implements AutoCloseable {
    private static final NamedResource IDENTITY = NamedResource.ofName("the Secret's identity");

    private final SshdSessionFactory sessions;
    private final TrustedHostKeys hostKeys;

    private SshAccess(SshdSessionFactory sessions, TrustedHostKeys hostKeys) {
        this.sessions = sessions;
        this.hostKeys = hostKeys;
    }

    /**
     * @param home a directory JGit may treat as the user's home; it never reads anything from it, but needs
     *             one, and without it would look up the real one
     * @throws SourceException InvalidSecret when the key or known_hosts cannot be used
     */
    static SshAccess of(GitCredentials.Ssh credentials, Path home) throws SourceException {
        KeyPair identity = privateKey(credentials.identity());
        TrustedHostKeys hostKeys = TrustedHostKeys.parse(credentials.knownHosts());
        SshdSessionFactory sessions = new SshdSessionFactoryBuilder()
                .setHomeDirectory(home.toFile())
                .setSshDirectory(home.resolve(".ssh").toFile())
                .setConfigStoreFactory((homeDir, configFile, localUser) -> null)
                .setDefaultKnownHostsFiles(sshDir -> List.of())
                .setServerKeyDatabase((homeDir, sshDir) -> hostKeys)
                .setDefaultIdentities(sshDir -> List.of())
                .setDefaultKeysProvider(sshDir -> List.of(identity))
                .setConnectorFactory(null)
                .setPreferredAuthentications("publickey")
                .build(null);
        return new SshAccess(sessions, hostKeys);
    }

    SshSessionFactory sessionFactory() {
        return sessions;
    }

    /** Why the server's host key was refused, if it was. */
    Optional<TrustedHostKeys.Refusal> hostKeyRefusal() {
        return hostKeys.refusal();
    }

    @Override
    public void close() {
        sessions.close();
    }

    /** The parser's own messages are not passed on: they are not needed, and this is secret material. */
    private static KeyPair privateKey(String identity) throws SourceException {
        try (InputStream in = new ByteArrayInputStream(identity.strip().concat("\n").getBytes(StandardCharsets.UTF_8))) {
            Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, IDENTITY, in, FilePasswordProvider.EMPTY);
            Iterator<KeyPair> it = pairs == null ? null : pairs.iterator();
            if (it != null && it.hasNext()) {
                return it.next();
            }
        } catch (Exception unreadable) {
            // reported below, without the parser's message
        }
        throw new SourceException("InvalidSecret", "the Secret's identity is not an unencrypted private key in "
                + "OpenSSH or PEM format (ed25519, ECDSA or RSA; a key with a passphrase cannot be used)");
    }
}
