package io.sluice.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Every operator setting, under the {@code sluice.} prefix (application.properties, env SLUICE_...). */
@ConfigMapping(prefix = "sluice")
public interface SluiceConfig {

    Git git();

    Project project();

    Webhook webhook();

    /** How soon a Rollout with a problem (missing reference, unreachable source) is checked again. */
    @WithDefault("15s")
    Duration retryInterval();

    /**
     * The longest a Rollout waits between two looks while a timer runs (a timed pause, a deadline,
     * the scale-down delay after an abort). Events (a Deployment becoming available, a spec change)
     * wake it at once regardless.
     */
    @WithDefault("10s")
    Duration timerResolution();

    interface Project {
        /** The Sluice source checkout; `sluice run` in sandbox mode finds crds/ and examples/ there. */
        @WithDefault(".")
        Path dir();
    }

    interface Git {
        /** Where the shared Git mirrors live; one bare repository per URL. */
        @WithDefault("${java.io.tmpdir}/sluice-git")
        Path cacheDir();

        /** Timeout of one network operation (connect, fetch) against a Git server. */
        @WithDefault("30s")
        Duration timeout();

        /**
         * A repository is fetched at most this often, however many Rollouts ask for it. A push webhook
         * for the repository makes its next read fetch sooner.
         */
        @WithDefault("10s")
        Duration minFetchInterval();

        /**
         * A mirror no Rollout has read for this long is deleted from {@code cache-dir} (checked every
         * minute), which bounds the disk the cache uses; the next read of it clones again.
         */
        @WithDefault("1h")
        Duration mirrorIdleTimeout();
    }

    interface Webhook {
        /**
         * The shared secret of the push webhook {@code POST /webhooks/git}: the key of GitHub's
         * {@code X-Hub-Signature-256} HMAC, or GitLab's {@code X-Gitlab-Token}. Unset, the endpoint
         * answers 404 and Sluice relies on polling alone.
         */
        Optional<String> secret();
    }
}
