package io.sluice.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Every operator setting, under the {@code sluice.} prefix (application.properties, env SLUICE_...). */
@ConfigMapping(prefix = "sluice")
public interface SluiceConfig {

    Git git();

    Project project();

    Webhook webhook();

    /**
     * The Prometheus servers analyses may query, by name: {@code sluice.prometheus.<name>.address}. A
     * metric picks one by that name ({@code provider.prometheus.provider}, {@code default} unless it
     * says otherwise), so tenants choose among what the platform team configured and cannot point the
     * operator at a URL of their own. None are configured by default.
     */
    Map<String, Prometheus> prometheus();

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

    /**
     * How often a Rollout with nothing to wait for (no timer, no problem) is reconciled anyway, as a
     * safety net for changes no event reports (a Secret or an analysis template deleted, say). New commits do
     * not wait for it: each repository is polled at its Rollouts' {@code source.git.interval} and
     * wakes the Rollouts it moved.
     */
    @WithDefault("10m")
    Duration resyncInterval();

    /** How often the Rollout gauges on the metrics endpoint are recomputed from the informer cache. */
    @WithDefault("15s")
    Duration metricsRefresh();

    /**
     * How long one of the operator's watches (of Rollouts, AnalysisRuns, Deployments...) may be down,
     * reconnecting, before the operator counts it as blind: {@code sluice_watches_down} counts it and
     * the liveness probe fails, so that the pod is restarted and its watches established anew. A watch
     * that stopped for good counts at once.
     */
    @WithDefault("60s")
    Duration watchGrace();

    Notifications notifications();

    Outbound outbound();

    /**
     * Where the operator may connect on a Rollout's behalf (its Git server, its notification URLs):
     * never link-local or metadata addresses; loopback and private networks only when allowed here;
     * when {@code allowed-hosts} is set, only those hosts. Operator-wide settings (Prometheus
     * endpoints, operator notification targets) are the administrator's and are not checked.
     */
    interface Outbound {
        /** Whether a Rollout's Git server or notification URL may be on a loopback address. */
        @WithDefault("false")
        boolean allowLoopback();

        /** Whether they may be in a private network (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7). */
        @WithDefault("false")
        boolean allowPrivateNetworks();

        /** If set, the only hosts they may name: {@code git.example.com}, or {@code *.example.com}. */
        Optional<java.util.List<String>> allowedHosts();
    }

    LeaderElection leaderElection();

    Manifests manifests();

    /** What a Rollout may apply from its Git path. */
    interface Manifests {
        /**
         * The kinds a Rollout may apply, as {@code Kind} for the core group or {@code Kind.group}
         * ({@code Deployment.apps}, {@code VirtualService.networking.istio.io}), any version; {@code *}
         * allows every namespaced kind. A manifest of another kind rejects its whole revision
         * ({@code InvalidManifest}). RBAC kinds and cluster-scoped kinds are refused whatever this says.
         * The default is what an application delivered by Sluice needs; Secrets, Ingresses,
         * NetworkPolicies, Jobs and Istio Gateways are left out on purpose (see docs/operations.md).
         */
        @WithDefault("Deployment.apps,Service,ConfigMap,ServiceAccount,HorizontalPodAutoscaler.autoscaling,"
                + "PodDisruptionBudget.policy,VirtualService.networking.istio.io,DestinationRule.networking.istio.io")
        java.util.List<String> allowedKinds();
    }

    /**
     * Leader election through a {@code coordination.k8s.io/v1} Lease, for running several replicas:
     * only the holder of the Lease reconciles and writes; the others keep their caches warm and take
     * over when the Lease is not renewed. Off by default (a single instance acts on its own).
     */
    interface LeaderElection {
        /** Whether to take part in leader election at all. */
        @WithDefault("false")
        boolean enabled();

        /** The name of the Lease. */
        @WithDefault("sluice-leader")
        String leaseName();

        /**
         * The namespace of the Lease. Unset: the environment variable {@code POD_NAMESPACE}, else the
         * pod's service account namespace; with neither, startup fails.
         */
        Optional<String> leaseNamespace();

        /** How long a Lease that is not renewed keeps others from taking over. */
        @WithDefault("15s")
        Duration leaseDuration();

        /** How long the leader keeps trying to renew before it gives up leadership (and exits). */
        @WithDefault("10s")
        Duration renewDeadline();

        /** How often candidates try to take the Lease and the leader renews it. */
        @WithDefault("2s")
        Duration retryPeriod();
    }

    interface Notifications {
        /**
         * Operator-wide destinations, by name: {@code sluice.notifications.targets."team-chat".type=slack},
         * {@code ...url=https://hooks.slack.com/...}, optionally {@code ...on=Promoted,RolledBack}.
         * They receive the events of every Rollout, besides each Rollout's own {@code spec.notifications}.
         */
        Map<String, Target> targets();

        /** Deliveries of one notification to one destination before giving up (counted, logged). */
        @WithDefault("6")
        int attempts();

        /** Wait before the first retry; it doubles for each further one, up to {@link #maxBackoff()}. */
        @WithDefault("1s")
        Duration retryBackoff();

        /** The longest wait between two attempts. */
        @WithDefault("30s")
        Duration maxBackoff();

        /** A notification older than this (since its event) is dropped instead of sent: old news. */
        @WithDefault("15m")
        Duration maxAge();

        /** Longest wait for a destination to accept the connection. */
        @WithDefault("2s")
        Duration connectTimeout();

        /** Longest wait for a destination's answer, per attempt. */
        @WithDefault("5s")
        Duration requestTimeout();

        /**
         * Notifications waiting for one destination (each destination has its own queue and sender, so a
         * slow one delays only itself); beyond it, new ones to that destination are dropped (counted).
         */
        @WithDefault("100")
        int queuePerDestination();

        /** Destinations with notifications in flight at once; beyond it, notifications to others are dropped. */
        @WithDefault("500")
        int maxDestinations();

        interface Target {
            /** webhook or slack. */
            @WithDefault("webhook")
            String type();

            /** Where to POST; treated as a secret (never logged). */
            String url();

            /** The kinds to send (Started, StepCompleted, Paused, Promoted, Aborted, RolledBack); empty: all. */
            Optional<java.util.List<String>> on();
        }
    }

    interface Project {
        /** The Sluice source checkout; `sluice run` in sandbox mode finds crds/ and examples/ there. */
        @WithDefault(".")
        Path dir();
    }

    interface Git {
        /**
         * Whether Rollouts may read local repositories (file:// URLs or paths). Off by default: a
         * tenant could otherwise read any repository on the operator's disk, other tenants' mirrors
         * included. The sandbox and the tests turn it on.
         */
        @WithDefault("false")
        boolean allowFileUrls();

        /** Where the shared Git mirrors live; one bare repository per URL. */
        @WithDefault("${java.io.tmpdir}/sluice-git")
        Path cacheDir();

        /**
         * Deadline of a whole fetch from a Git server (connect, negotiation, download), however slowly the
         * server answers; also the timeout of each read within it. A fetch past it is stopped and the
         * Rollout's source reports {@code GitTimeout}.
         */
        @WithDefault("30s")
        Duration timeout();

        /**
         * How long a reconcile waits for a fetch it started or found running. Past it, the reconcile goes on
         * with the commit the mirror fetched last time (or reports {@code GitFetching} on a first fetch) and
         * the Rollout is reconciled again when the fetch ends, so slow or silent Git servers never hold the
         * reconcile threads that rollbacks need.
         */
        @WithDefault("1s")
        Duration readWait();

        /** Fetches running at once, over all repositories; each also holds its mirror alone. */
        @WithDefault("16")
        int maxConcurrentFetches();

        /**
         * Commits of history fetched for a branch or tag (only the one a Rollout names is fetched); 0 for
         * all. A Rollout whose ref is a commit id fetches every branch and tag with full history.
         */
        @WithDefault("1")
        int fetchDepth();

        /**
         * Disk the mirrors may use in all. Checked before each fetch: over it, the least recently read
         * idle mirrors are deleted, and if that is not enough the fetch is refused ({@code GitCacheFull})
         * rather than fill the volume. The default stays below the chart's 2Gi {@code git.cacheSizeLimit}.
         */
        @WithDefault("1610612736")
        long cacheMaxBytes();

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

        /**
         * The most YAML files one revision's path may hold. More is {@code ManifestTooLarge} on that
         * Rollout alone, and nothing of the revision is read further or applied.
         */
        @WithDefault("1000")
        int maxManifestFiles();

        /**
         * The most bytes of YAML one revision's path may hold in all (each file is also limited to
         * 1 MiB), checked from the blobs' sizes before any is read, so a small repository that names one
         * large blob many times cannot fill the heap. More is {@code ManifestTooLarge} on that Rollout.
         */
        @WithDefault("16777216")
        long maxManifestBytes();

        /**
         * The most Kubernetes objects (YAML documents) one revision's path may hold: many tiny documents
         * are cheap as text and costly as parsed objects. More is {@code ManifestTooLarge} on that Rollout.
         */
        @WithDefault("5000")
        int maxManifestObjects();

        /** The longest the YAML of one revision may take to parse; longer is {@code ManifestTooLarge}. */
        @WithDefault("10s")
        Duration maxParseTime();

        /**
         * Parsed revisions are kept for the Rollouts that read them (at most 1024) up to this many bytes of
         * YAML in all, the least recently used dropped first; a revision larger than it alone is parsed on
         * each read instead of kept.
         */
        @WithDefault("33554432")
        long parsedCacheMaxBytes();
    }

    interface Webhook {
        /**
         * The shared secret of the push webhook {@code POST /webhooks/git}: the key of GitHub's
         * {@code X-Hub-Signature-256} HMAC, or GitLab's {@code X-Gitlab-Token}. Unset, the endpoint
         * answers 404 and Sluice relies on polling alone.
         */
        Optional<String> secret();

        /**
         * Per-repository secrets, by a name of your choice: {@code sluice.webhook.repositories.shop.url=
         * https://git.example.com/shop/deploy.git} and {@code ...shop.secret=<the webhook's secret>}. A push
         * naming that repository is accepted only when signed with (GitHub) or carrying (GitLab) that secret,
         * and it wakes only that repository; the shared {@link #secret()} no longer covers it.
         */
        Map<String, Repository> repositories();

        /**
         * A GitHub push whose {@code repository.pushed_at} is older than this is ignored (answered 202): a
         * captured delivery cannot be replayed after this long, and within it the delivery id and body
         * digest recognise a replay.
         */
        @WithDefault("10m")
        Duration maxDeliveryAge();

        interface Repository {
            /** The repository's URL, in any of its forms (https, ssh, git): they are normalized. */
            String url();

            /** The secret of this repository's webhook; treated as a secret (never logged). */
            String secret();
        }
    }

    interface Prometheus {
        /**
         * Base URL of the HTTP API, e.g. {@code http://prometheus.monitoring:9090}, or with a path prefix
         * ({@code https://thanos.example/prometheus}); queries go to {@code <address>/api/v1/query}.
         * Credentials go in a Secret, never in the address.
         */
        String address();

        /** Longest a query may take; also sent to Prometheus as the query's own timeout. */
        @WithDefault("10s")
        Duration timeout();

        /** A Secret in the operator's namespace whose key {@code token} is sent as a bearer token. */
        Optional<String> bearerTokenSecret();

        /** A Secret in the operator's namespace with keys {@code username} and {@code password} (basic auth). */
        Optional<String> basicAuthSecret();

        /**
         * A PEM file of the CA certificates to trust for an https address, instead of the JVM's. There is
         * no switch to skip verification: a Prometheus with a private CA is trusted by naming that CA.
         */
        Optional<Path> caFile();
    }
}
