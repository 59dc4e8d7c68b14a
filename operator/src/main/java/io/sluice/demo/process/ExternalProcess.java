package io.sluice.demo.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real program (prometheus, haproxy, ...) run by the demo or a test fixture: located on the machine, started
 * in its own temporary working directory with its output in a log file there, and stopped by PID.
 * {@link #close()} stops the process and deletes the directory.
 */
public final class ExternalProcess implements AutoCloseable {

    // Sbin directories are often missing from a non-root PATH, and haproxy lives in /usr/sbin.
    private static final List<Path> EXTRA_SEARCH_DIRS = List.of(
            Path.of("/usr/local/sbin"), Path.of("/usr/local/bin"),
            Path.of("/usr/sbin"), Path.of("/usr/bin"), Path.of("/sbin"));
    private static final int LOG_TAIL_LINES = 40;

    private final String name;
    private final Path executable;
    private final Path workDir;
    private final Path logFile;
    private Process process;
    private Thread killOnJvmExit;

    private ExternalProcess(String name, Path executable, Path workDir) {
        this.name = name;
        this.executable = executable;
        this.workDir = workDir;
        this.logFile = workDir.resolve(name + ".log");
    }

    /**
     * Locates {@code executableName} and creates a fresh working directory for it.
     *
     * @throws IllegalStateException naming the program when it is not installed
     */
    public static ExternalProcess prepare(String executableName) {
        Path executable = locate(executableName);
        try {
            return new ExternalProcess(executableName, executable,
                    Files.createTempDirectory("sluice-" + executableName + "-"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path locate(String executableName) {
        Set<Path> searched = new LinkedHashSet<>();
        String pathVariable = System.getenv().getOrDefault("PATH", "");
        for (String dir : pathVariable.split(java.io.File.pathSeparator)) {
            if (!dir.isBlank()) {
                searched.add(Path.of(dir));
            }
        }
        searched.addAll(EXTRA_SEARCH_DIRS);
        return searched.stream()
                .map(dir -> dir.resolve(executableName))
                .filter(Files::isExecutable)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException(
                        "'" + executableName + "' is not installed: Sluice's demo and integration tests run the real "
                                + executableName + " binary and found it neither on PATH nor in "
                                + EXTRA_SEARCH_DIRS + " (on Debian/Ubuntu: apt-get install "
                                + executableName + ")"));
    }

    /** A loopback port that was free a moment ago, for a program that binds it itself. */
    public static int freeLoopbackPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path workDir() {
        return workDir;
    }

    /** Starts the program with {@code arguments}, stdout and stderr going to the log file. */
    public void start(List<String> arguments) {
        if (process != null) {
            throw new IllegalStateException(name + " was already started");
        }
        List<String> command = new ArrayList<>();
        command.add(executable.toString());
        command.addAll(arguments);
        try {
            process = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(logFile.toFile())
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + command, e);
        }
        // Surefire, Ctrl-C or a signal can end the JVM without close(): never leave the program running.
        Process started = process;
        killOnJvmExit = new Thread(started::destroyForcibly, "kill-" + name + "-" + started.pid());
        try {
            Runtime.getRuntime().addShutdownHook(killOnJvmExit);
        } catch (IllegalStateException jvmExiting) {
            // started while the JVM shuts down (a signal during the demo's startup): nothing would stop it later
            started.destroyForcibly();
            throw jvmExiting;
        }
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    public long pid() {
        if (process == null) {
            throw new IllegalStateException(name + " was not started");
        }
        return process.pid();
    }

    /** The last lines the program wrote, for failure messages. */
    public String logTail() {
        if (!Files.exists(logFile)) {
            return "(" + name + " wrote no log)";
        }
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            List<String> tail = lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
            String exit = process != null && !process.isAlive() ? " (exited with " + process.exitValue() + ")" : "";
            return "--- last " + tail.size() + " lines of " + logFile + exit + " ---\n" + String.join("\n", tail);
        } catch (IOException e) {
            return "(could not read " + logFile + ": " + e + ")";
        }
    }

    /** Stops the program by its PID (SIGTERM, then SIGKILL after 10 s) and deletes its directory. */
    @Override
    public void close() {
        if (process != null) {
            stop();
        }
        deleteRecursively(workDir);
    }

    private void stop() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killOnJvmExit);
        } catch (IllegalStateException jvmAlreadyExiting) {
            // the hook is running or about to: nothing left to undo
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + dir, e);
        }
    }
}
