package io.sluice.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test resource that is ready once constructed and closes itself when the JUnit scope that registered it
 * with {@code @RegisterExtension} ends: a static field keeps it for the whole test class, an instance field
 * for one test. Outside JUnit it is a plain {@link AutoCloseable} for try-with-resources.
 * <p>
 * With {@code @TestInstance(PER_CLASS)} register it on a static field: JUnit does not call class-level
 * callbacks on instance-field extensions, so an instance field would be closed after the first test.
 */
public abstract class ScopedFixture implements AutoCloseable, BeforeAllCallback, AfterAllCallback, AfterEachCallback {

    private boolean registeredForClass;

    @Override
    public final void beforeAll(ExtensionContext context) {
        // JUnit calls class-level callbacks only on extensions held in static fields.
        registeredForClass = true;
    }

    @Override
    public final void afterEach(ExtensionContext context) {
        if (!registeredForClass) {
            close();
        }
    }

    @Override
    public final void afterAll(ExtensionContext context) {
        close();
    }

    /** Releases everything the fixture holds; calling it again does nothing. */
    @Override
    public abstract void close();
}
