package io.sluice.source;

import java.time.Duration;
import java.util.Optional;

/**
 * What to read: a ref and a folder of a repository, with optional credentials.
 *
 * @param maxAge a fetch of the repository younger than this is good enough (a Rollout passes its poll
 *               interval, so all Rollouts of one repository share one fetch per interval)
 */
public record GitRequest(String url, String ref, String path, Optional<GitCredentials> credentials, Duration maxAge) {

    public GitRequest(String url, String ref, String path, Optional<GitCredentials> credentials) {
        this(url, ref, path, credentials, Duration.ZERO);
    }
}
