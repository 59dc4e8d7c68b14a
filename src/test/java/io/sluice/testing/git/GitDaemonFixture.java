package io.sluice.testing.git;

import io.sluice.testing.ScopedFixture;
import org.eclipse.jgit.util.FileUtils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * The real {@code git daemon} serving every repository under one base directory over {@code git://} on
 * loopback, with push enabled. Repositories are put there with
 * {@link GitRepoFixture#createIn(Path, String, String)} (or a single repository is served from its own
 * {@link GitRepoFixture#baseDir()}).
 * <p>
 * Closing it terminates the daemon and the processes it forked, and deletes the base directory if the
 * fixture created it. A JVM shutdown hook does the same if a test run is cut short.
 */
public final class GitDaemonFixture extends ScopedFixture {

    private static final String LOOPBACK = "127.0.0.1";
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

    private final Path baseDir;
    private final boolean ownsBaseDir;
    private final int port;
    private final Path log;
    private final Process process;
    private final Thread stopOnJvmExit;
    private boolean closed;

    private GitDaemonFixture(Path baseDir, boolean ownsBaseDir) throws IOException {
        this.baseDir = baseDir.toRealPath();
        this.ownsBaseDir = ownsBaseDir;
        this.port = freePort();
        this.log = Files.createTempFile("sluice-git-daemon-", ".log");
        this.process = new ProcessBuilder("git", "daemon", "--reuseaddr", "--base-path=" + this.baseDir, "--export-all",
                "--enable=receive-pack", "--listen=" + LOOPBACK, "--port=" + port, this.baseDir.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        this.stopOnJvmExit = new Thread(this::stopProcesses, "stop git daemon on port " + port);
        Runtime.getRuntime().addShutdownHook(stopOnJvmExit);
        awaitListening();
    }

    /** Serves a new, empty temporary directory, deleted on close; see {@link #baseDir()}. */
    public static GitDaemonFixture start() {
        try {
            return new GitDaemonFixture(Files.createTempDirectory("sluice-git-daemon-"), true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Serves {@code baseDir}, which is left in place on close. */
    public static GitDaemonFixture serve(Path baseDir) {
        try {
            return new GitDaemonFixture(baseDir, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code git://127.0.0.1:<port>/<name>.git} for a repository under {@link #baseDir()}. */
    public String url(GitRepoFixture repository) {
        Path directory;
        try {
            directory = repository.directory().toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!directory.startsWith(baseDir)) {
            throw new IllegalArgumentException(directory + " is not served: it is outside " + baseDir);
        }
        return "git://" + LOOPBACK + ":" + port + "/" + baseDir.relativize(directory);
    }

    public Path baseDir() {
        return baseDir;
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
        stopProcesses();
        Runtime.getRuntime().removeShutdownHook(stopOnJvmExit);
        try {
            Files.deleteIfExists(log);
            if (ownsBaseDir) {
                FileUtils.delete(baseDir.toFile(), FileUtils.RECURSIVE | FileUtils.RETRY);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitListening() throws IOException {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (true) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress(LOOPBACK, port), 200);
                return;
            } catch (IOException notListeningYet) {
                if (!process.isAlive()) {
                    throw startupFailure("exited with status " + process.exitValue());
                }
                if (System.nanoTime() > deadline) {
                    throw startupFailure("is not listening after " + STARTUP_TIMEOUT);
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw startupFailure("was still starting when the test thread was interrupted");
            }
        }
    }

    private IOException startupFailure(String what) throws IOException {
        String output = Files.readString(log);
        close();
        return new IOException("git daemon on port " + port + " " + what + "; its output:\n" + output);
    }

    /**
     * Terminates the daemon and its descendants. {@code git daemon} runs {@code git-daemon} as a child, which
     * forks once per connection, and terminating the parent does not take the children with it.
     */
    private void stopProcesses() {
        List<ProcessHandle> processes = Stream.concat(Stream.of(process.toHandle()), process.descendants()).toList();
        processes.forEach(ProcessHandle::destroy);
        for (ProcessHandle handle : processes) {
            try {
                handle.onExit().get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                handle.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                handle.destroyForcibly();
            }
        }
    }

    private static int freePort() throws IOException {
        // The port is free now; git daemon binds it moments later (a race that loopback tests can live with).
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
            return socket.getLocalPort();
        }
    }
}
