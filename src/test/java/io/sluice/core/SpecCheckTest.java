package io.sluice.core;

import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.Pause;
import io.sluice.api.v1alpha1.Rollout;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operator's own spec check catches what the CRD's schema and CEL rules would, before anything
 * is acted on: a Rollout that slipped past validation (an older CRD, a test API that evaluates no
 * rules) must not start a canary that its next step cannot take.
 */
class SpecCheckTest {

    @Test
    void aWeightAbove100IsInvalidSpecBeforeAnyCanaryStarts() {
        Rollout rollout = RolloutFixtures.checkout("https://git.example.com/shop/deploy.git");
        rollout.getSpec().strategy.canary.steps = List.of(CanaryStep.weight(10), CanaryStep.weight(150));

        assertThat(SpecCheck.problems(rollout.getSpec())).singleElement().satisfies(p -> {
            assertThat(p.reason()).isEqualTo("InvalidSpec");
            assertThat(p.message()).isEqualTo("steps[1].setWeight: 150 is not a percentage between 0 and 100");
        });
    }

    @Test
    void aStepWithTwoActionsOrAnUnreadablePauseIsInvalidSpec() {
        Rollout rollout = RolloutFixtures.checkout("https://git.example.com/shop/deploy.git");
        CanaryStep both = CanaryStep.weight(20);
        both.pause = new Pause();
        CanaryStep badPause = new CanaryStep();
        badPause.pause = new Pause();
        badPause.pause.duration = "ten minutes";
        rollout.getSpec().strategy.canary.steps = List.of(both, badPause);
        rollout.getSpec().progressDeadlineSeconds = 0;

        assertThat(SpecCheck.problems(rollout.getSpec())).extracting(Problem::message).containsExactly(
                "steps[0]: a step has exactly one of setWeight, pause and analysis (it has 2)",
                "steps[1].pause.duration: " + messageOf("ten minutes"),
                "progressDeadlineSeconds: 0 is less than 1");
    }

    @Test
    void theExampleRolloutHasNoProblems() {
        assertThat(SpecCheck.problems(RolloutFixtures.checkout("https://git.example.com/shop/deploy.git").getSpec())).isEmpty();
    }

    private static String messageOf(String duration) {
        try {
            Durations.parse(duration);
            throw new AssertionError(duration + " parsed");
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }
}
