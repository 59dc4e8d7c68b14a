package io.sluice.operator;

import io.sluice.config.SluiceConfig;

import java.nio.file.Path;
import java.time.Duration;

/** Operator settings for tests that build the operator's objects by hand (outside Quarkus). */
final class TestConfig {
    private TestConfig() {
    }

    static SluiceConfig of(Path gitCache) {
        return of(gitCache, Duration.ZERO);
    }

    static SluiceConfig of(Path gitCache, Duration minFetchInterval) {
        return of(gitCache, minFetchInterval, true);
    }

    static SluiceConfig of(Path gitCache, Duration minFetchInterval, boolean allowFileUrls) {
        return of(gitCache, minFetchInterval, allowFileUrls, Duration.ofSeconds(10), Duration.ofSeconds(10));
    }

    /** With {@code sluice.manifests.allowed-kinds} set to {@code allowedKinds}. */
    static SluiceConfig withAllowedKinds(Path gitCache, java.util.List<String> allowedKinds) {
        return of(gitCache, Duration.ZERO, true, Duration.ofSeconds(10), Duration.ofSeconds(10), allowedKinds);
    }

    /**
     * With {@code gitTimeout} as the deadline of a whole fetch, and reconciles waiting {@code readWait}
     * for a fetch (the other factories wait for the whole fetch, so that tests read synchronously).
     */
    static SluiceConfig of(Path gitCache, Duration minFetchInterval, boolean allowFileUrls, Duration gitTimeout,
            Duration readWait) {
        return of(gitCache, minFetchInterval, allowFileUrls, gitTimeout, readWait,
                io.sluice.manifest.ManifestRules.DEFAULT_ALLOWED_KINDS);
    }

    static SluiceConfig of(Path gitCache, Duration minFetchInterval, boolean allowFileUrls, Duration gitTimeout,
            Duration readWait, java.util.List<String> allowedKinds) {
        return new SluiceConfig() {
            @Override
            public Git git() {
                return new Git() {
                    @Override
                    public Path cacheDir() {
                        return gitCache;
                    }

                    @Override
                    public Duration timeout() {
                        return gitTimeout;
                    }

                    @Override
                    public Duration minFetchInterval() {
                        return minFetchInterval;
                    }

                    @Override
                    public boolean allowFileUrls() {
                        return allowFileUrls;
                    }

                    @Override
                    public Duration mirrorIdleTimeout() {
                        return Duration.ofHours(1);
                    }

                    @Override
                    public int maxManifestFiles() {
                        return io.sluice.source.jgit.JGitSource.ManifestLimits.DEFAULT.maxFiles();
                    }

                    @Override
                    public long maxManifestBytes() {
                        return io.sluice.source.jgit.JGitSource.ManifestLimits.DEFAULT.maxBytes();
                    }

                    @Override
                    public Duration readWait() {
                        return readWait;
                    }

                    @Override
                    public int maxConcurrentFetches() {
                        return io.sluice.source.jgit.JGitSource.DEFAULT_MAX_CONCURRENT_FETCHES;
                    }

                    @Override
                    public int fetchDepth() {
                        return 1;
                    }

                    @Override
                    public long cacheMaxBytes() {
                        return io.sluice.source.jgit.JGitSource.DEFAULT_CACHE_MAX_BYTES;
                    }

                    @Override
                    public int maxManifestObjects() {
                        return io.sluice.manifest.ManifestSet.Limits.DEFAULT.maxObjects();
                    }

                    @Override
                    public Duration maxParseTime() {
                        return io.sluice.manifest.ManifestSet.Limits.DEFAULT.maxParseTime();
                    }

                    @Override
                    public long parsedCacheMaxBytes() {
                        return io.sluice.manifest.ParsedRevisions.DEFAULT_MAX_BYTES;
                    }
                };
            }

            @Override
            public Webhook webhook() {
                return new Webhook() {
                    @Override
                    public java.util.Optional<String> secret() {
                        return java.util.Optional.empty();
                    }

                    @Override
                    public java.util.Map<String, Repository> repositories() {
                        return java.util.Map.of();
                    }

                    @Override
                    public Duration maxDeliveryAge() {
                        return Duration.ofMinutes(10);
                    }
                };
            }

            @Override
            public java.util.Map<String, Prometheus> prometheus() {
                return java.util.Map.of();
            }

            @Override
            public Duration retryInterval() {
                return Duration.ofSeconds(1);
            }

            @Override
            public Duration resyncInterval() {
                return Duration.ofMinutes(10);
            }

            @Override
            public Notifications notifications() {
                return new Notifications() {
                    @Override
                    public java.util.Map<String, Target> targets() {
                        return java.util.Map.of();
                    }

                    @Override
                    public int attempts() {
                        return 1;
                    }

                    @Override
                    public Duration retryBackoff() {
                        return Duration.ofSeconds(1);
                    }

                    @Override
                    public Duration maxBackoff() {
                        return Duration.ofSeconds(30);
                    }

                    @Override
                    public Duration maxAge() {
                        return Duration.ofMinutes(15);
                    }

                    @Override
                    public Duration connectTimeout() {
                        return Duration.ofSeconds(2);
                    }

                    @Override
                    public Duration requestTimeout() {
                        return Duration.ofSeconds(5);
                    }

                    @Override
                    public int queuePerDestination() {
                        return 100;
                    }

                    @Override
                    public int maxDestinations() {
                        return 500;
                    }
                };
            }

            @Override
            public Duration metricsRefresh() {
                return Duration.ofSeconds(15);
            }

            @Override
            public Outbound outbound() {
                return new Outbound() {
                    @Override
                    public boolean allowLoopback() {
                        return true;
                    }

                    @Override
                    public boolean allowPrivateNetworks() {
                        return false;
                    }

                    @Override
                    public java.util.Optional<java.util.List<String>> allowedHosts() {
                        return java.util.Optional.empty();
                    }
                };
            }

            @Override
            public Duration watchGrace() {
                return Duration.ofSeconds(60);
            }

            @Override
            public Duration timerResolution() {
                return Duration.ofMillis(200);
            }

            @Override
            public Project project() {
                return () -> Path.of(".");
            }

            @Override
            public Manifests manifests() {
                return () -> allowedKinds;
            }

            @Override
            public LeaderElection leaderElection() {
                return new LeaderElection() {
                    @Override
                    public boolean enabled() {
                        return false;
                    }

                    @Override
                    public String leaseName() {
                        return "sluice-leader";
                    }

                    @Override
                    public java.util.Optional<String> leaseNamespace() {
                        return java.util.Optional.empty();
                    }

                    @Override
                    public Duration leaseDuration() {
                        return Duration.ofSeconds(15);
                    }

                    @Override
                    public Duration renewDeadline() {
                        return Duration.ofSeconds(10);
                    }

                    @Override
                    public Duration retryPeriod() {
                        return Duration.ofSeconds(2);
                    }
                };
            }
        };
    }
}
