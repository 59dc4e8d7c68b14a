package io.sluice.sandbox;

import io.fabric8.kubernetes.client.informers.ResourceEventHandler;

import java.util.function.Consumer;

/** Informer event handlers for the sandbox and the demo, which act on an object's latest state. */
public final class Informers {
    private Informers() {
    }

    /** Passes every added or updated object, as it is now, to {@code onChange}; ignores deletions. */
    public static <T> ResourceEventHandler<T> onAddOrUpdate(Consumer<T> onChange) {
        return onAddOrUpdate(onChange, deleted -> {
        });
    }

    /** Passes every added or updated object, as it is now, to {@code onChange}, and deleted ones to {@code onDelete}. */
    public static <T> ResourceEventHandler<T> onAddOrUpdate(Consumer<T> onChange, Consumer<T> onDelete) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T object) {
                onChange.accept(object);
            }

            @Override
            public void onUpdate(T old, T object) {
                onChange.accept(object);
            }

            @Override
            public void onDelete(T object, boolean finalStateUnknown) {
                onDelete.accept(object);
            }
        };
    }
}
