package io.sluice.demo.process;

/**
 * Something the demo (and the integration tests) run on this machine for a while: a test backend, HAProxy,
 * Prometheus. Started once; closing stops it and removes what it wrote, and does nothing if it never started.
 */
public interface LocalService extends AutoCloseable {

    /** Starts it and returns once it answers. */
    LocalService start();

    @Override
    void close();
}
