package io.sluice.testing;

import io.sluice.demo.process.LocalService;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs local services (which know nothing of JUnit) for a whole test class: on a static
 * {@code @RegisterExtension} field it starts them in the given order before the class's tests and closes
 * them in reverse order after, also those started before one that failed to start.
 */
public final class ClassScopedServices implements BeforeAllCallback, AfterAllCallback {
    private final List<LocalService> services;
    private final List<LocalService> started = new ArrayList<>();

    private ClassScopedServices(List<LocalService> services) {
        this.services = services;
    }

    public static ClassScopedServices of(LocalService... services) {
        return new ClassScopedServices(List.of(services));
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        for (LocalService service : services) {
            started.add(service);
            service.start();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        RuntimeException first = null;
        for (LocalService service : started.reversed()) {
            try {
                service.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        started.clear();
        if (first != null) {
            throw first;
        }
    }
}
