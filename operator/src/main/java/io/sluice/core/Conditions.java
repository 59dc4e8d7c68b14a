package io.sluice.core;

import io.sluice.api.v1alpha1.Condition;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one place conditions are written, following the Kubernetes API conventions:
 * lastTransitionTime moves only when status changes; observedGeneration is always current.
 */
public final class Conditions {
    private Conditions() {
    }

    /**
     * Returns the list with the condition set, replacing one of the same type.
     *
     * @param previous the conditions as they are (not modified)
     */
    public static List<Condition> with(List<Condition> previous, String type, String status, String reason,
            String message, long generation, Instant now) {
        List<Condition> next = new ArrayList<>();
        Optional<Condition> old = Optional.empty();
        for (Condition c : previous == null ? List.<Condition>of() : previous) {
            if (type.equals(c.type)) {
                old = Optional.of(c);
            } else {
                next.add(c);
            }
        }
        Condition c = new Condition(type, status, reason, message);
        c.observedGeneration = generation;
        c.lastTransitionTime = old.filter(o -> status.equals(o.status)).map(o -> o.lastTransitionTime)
                .orElse(now.toString());
        next.add(c);
        next.sort((a, b) -> a.type.compareTo(b.type));
        return next;
    }
}
