package io.sluice.testing.time;

import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Alternative;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.time.Clock;

/** In @QuarkusTest runs the operator's clock is a {@link MutableClock} the tests can move. */
public class TestClockProducer {
    static final MutableClock CLOCK = new MutableClock();

    @Produces
    @Alternative
    @Priority(1)
    @Singleton
    Clock clock() {
        return CLOCK;
    }

    @Produces
    @Singleton
    MutableClock mutableClock() {
        return CLOCK;
    }
}
