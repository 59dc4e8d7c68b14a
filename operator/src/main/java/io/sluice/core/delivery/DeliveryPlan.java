package io.sluice.core.delivery;

import io.sluice.api.v1alpha1.RolloutStatus;
import io.sluice.core.RolloutEvent;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The outcome of one planning pass: actions to take in order, the status to write once all of them
 * have succeeded, the events to record then, and when to look again.
 */
public record DeliveryPlan(List<Action> actions, RolloutStatus status, List<RolloutEvent> events,
                           Optional<Duration> requeueAfter) {
}
