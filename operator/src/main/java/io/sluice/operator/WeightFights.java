package io.sluice.operator;

import io.javaoperatorsdk.operator.processing.event.ResourceID;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When Sluice set each Rollout's managed weights back from another writer's, within the last {@link #WINDOW}: one
 * correction is a hand edit, {@value #THRESHOLD} or more a fight (a GitOps tool syncing the VirtualService's weights
 * from Git, a script) that would otherwise go on unseen, each correction looking routine. Kept in memory only: a
 * restarted operator counts afresh (the condition it set stays in status). Rollouts without a recent correction
 * take no room.
 */
final class WeightFights {
    /** Corrections within {@link #WINDOW} that make a fight. */
    static final int THRESHOLD = 3;
    static final Duration WINDOW = Duration.ofMinutes(5);
    static final String WINDOW_TEXT = "5m";

    private final Map<ResourceID, Deque<Instant>> corrections = new ConcurrentHashMap<>();

    /** Records a correction at {@code now}; returns how many there were within the window, this one included. */
    int corrected(ResourceID rollout, Instant now) {
        corrections.entrySet().removeIf(e -> {
            synchronized (e.getValue()) {
                drop(e.getValue(), now);
                return e.getValue().isEmpty() && !e.getKey().equals(rollout);
            }
        });
        Deque<Instant> times = corrections.computeIfAbsent(rollout, r -> new ArrayDeque<>());
        synchronized (times) {
            drop(times, now);
            times.addLast(now);
            return times.size();
        }
    }

    /** Corrections of this Rollout within the window. */
    int recent(ResourceID rollout, Instant now) {
        Deque<Instant> times = corrections.get(rollout);
        if (times == null) {
            return 0;
        }
        synchronized (times) {
            drop(times, now);
            return times.size();
        }
    }

    private static void drop(Deque<Instant> times, Instant now) {
        Instant since = now.minus(WINDOW);
        while (!times.isEmpty() && !times.peekFirst().isAfter(since)) {
            times.removeFirst();
        }
    }
}
