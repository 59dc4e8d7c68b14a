package io.sluice.source;

import java.util.Set;

/**
 * A CDI event: the Git host reported a push to these repositories, whose mirrors are already
 * invalidated, so Rollouts that read them can be reconciled right away instead of at their next poll.
 *
 * @param normalizedUrls repository keys as made by {@link RepositoryUrls#normalize(String)}
 */
public record GitPushed(Set<String> normalizedUrls) {
    public GitPushed {
        normalizedUrls = Set.copyOf(normalizedUrls);
    }
}
