package io.sluice.demo.process;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A {@link LocalService} that is one external program ({@link ExternalProcess}): HAProxy, Prometheus. It owns
 * the lifecycle they share: start once, stop and clean up on a failed start, PID and log tail for messages.
 */
public abstract class ExternalService implements LocalService {

    /** What {@link #startProcess} runs with the prepared process: write configuration, start it, wait for it. */
    @FunctionalInterface
    protected interface Launch {
        void run(ExternalProcess process) throws IOException;
    }

    private final String name;
    private final String executableName;
    private ExternalProcess process;

    /** {@code name} is for messages ("HAProxy"), {@code executableName} is looked up on PATH. */
    protected ExternalService(String name, String executableName) {
        this.name = name;
        this.executableName = executableName;
    }

    /**
     * Prepares the program's process and runs {@code launch} with it; if that fails, {@link #close() closes}
     * this service and rethrows (an {@link IOException} as {@link UncheckedIOException}).
     *
     * @throws IllegalStateException when already started
     */
    protected final void startProcess(Launch launch) {
        if (process != null) {
            throw new IllegalStateException(name + " fixture already started");
        }
        process = ExternalProcess.prepare(executableName);
        try {
            launch.run(process);
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The process, once {@link #startProcess} has prepared it (null before). */
    protected final ExternalProcess process() {
        return process;
    }

    /** The PID of the running program. */
    public long pid() {
        if (process == null) {
            throw new IllegalStateException(name + " was not started");
        }
        return process.pid();
    }

    /** The last lines of the program's log, for failure messages. */
    public String logTail() {
        return process == null ? "(" + name + " was not started)" : process.logTail();
    }

    /** Stops the program by PID and deletes its directory (configuration, log, data). */
    @Override
    public void close() {
        if (process != null) {
            process.close();
        }
    }
}
