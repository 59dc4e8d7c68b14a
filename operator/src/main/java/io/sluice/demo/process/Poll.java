package io.sluice.demo.process;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * Waits for a condition by asking it again and again, for the demo's processes (a server that is
 * starting, a split that is being applied). The demo runs in the operator's JVM, so it cannot use
 * a test library for this.
 */
public final class Poll {

    /** Thrown when the condition did not hold within the time allowed. */
    public static final class TimedOut extends RuntimeException {
        TimedOut(String message, Throwable lastFailure) {
            super(message, lastFailure);
        }
    }

    private Poll() {
    }

    /** {@link #until(String, Duration, Duration, Predicate, Callable)} that retries no exception. */
    public static void until(String what, Duration timeout, Duration interval, Callable<Boolean> condition) {
        until(what, timeout, interval, e -> false, condition);
    }

    /**
     * Calls {@code condition} every {@code interval} until it returns true. An exception that
     * {@code retried} accepts counts as "not yet"; any other ends the wait and is rethrown (wrapped
     * if it is checked).
     *
     * @throws TimedOut when {@code timeout} has passed, with the last retried exception as cause
     * @throws IllegalStateException when interrupted (the interrupt flag is kept)
     */
    public static void until(String what, Duration timeout, Duration interval, Predicate<Exception> retried,
            Callable<Boolean> condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception lastRetried = null;
        while (true) {
            try {
                if (Boolean.TRUE.equals(condition.call())) {
                    return;
                }
            } catch (RuntimeException e) {
                if (!retried.test(e)) {
                    throw e;
                }
                lastRetried = e;
            } catch (Exception e) {
                if (!retried.test(e)) {
                    throw new IllegalStateException(what + ": " + e.getMessage(), e);
                }
                lastRetried = e;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new TimedOut(what + " did not happen within " + timeout
                        + (lastRetried == null ? "" : " (last failure: " + lastRetried + ")"), lastRetried);
            }
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
    }
}
