package io.sluice.testing.git;

import io.sluice.testing.ScopedFixture;
import org.eclipse.jgit.junit.ssh.SshTestGitServer;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.KeyPair;
import java.security.PublicKey;

/**
 * An SSH Git server on loopback (JGit's test server on Apache MINA sshd, in this JVM) serving one
 * {@link GitRepoFixture} to user {@value #USER}, who must authenticate with one given public key.
 * It presents one host key, which {@link #knownHostsLine()} lists the way a Secret's known_hosts would.
 */
public final class GitSshFixture extends ScopedFixture {
    public static final String USER = "git";
    private static final String LOOPBACK = "127.0.0.1";

    private final LoopbackServer server;
    private final Repository repository;
    private final KeyPair hostKey;
    private final String repositoryName;
    private final int port;
    private boolean closed;

    private GitSshFixture(GitRepoFixture repo, KeyPair hostKey, PublicKey userKey) throws IOException {
        this.repository = new FileRepositoryBuilder().setGitDir(repo.directory().toFile()).setBare().build();
        this.hostKey = hostKey;
        this.repositoryName = repo.name();
        this.server = new LoopbackServer(userKey, repository, hostKey);
        this.port = server.start();
    }

    /** Serves {@code repo}; closing the fixture stops the server but leaves the repository. */
    public static GitSshFixture serve(GitRepoFixture repo, KeyPair hostKey, PublicKey userKey) {
        try {
            return new GitSshFixture(repo, hostKey, userKey);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code ssh://git@127.0.0.1:<port>/<name>.git} (the server serves its one repository at any path). */
    public String url() {
        return "ssh://" + USER + "@" + LOOPBACK + ":" + port + "/" + repositoryName + ".git";
    }

    /** {@code [127.0.0.1]:<port> <type> <base64>}: this server's host key as known_hosts lists it. */
    public String knownHostsLine() {
        return "[" + LOOPBACK + "]:" + port + " " + SshKeys.publicKeyLine(hostKey);
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.stop();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            repository.close();
        }
    }

    /** The test server listens on every interface by default; tests keep to loopback. */
    private static final class LoopbackServer extends SshTestGitServer {
        LoopbackServer(PublicKey userKey, Repository repository, KeyPair hostKey) {
            super(USER, userKey, repository, hostKey);
            server.setHost(LOOPBACK);
        }
    }
}
