package io.sluice.core;

/** Something that stops Sluice from acting on a Rollout: a CamelCase reason and a sentence for people. */
public record Problem(String reason, String message) {
}
