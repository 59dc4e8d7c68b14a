package io.sluice.operator;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.ConfigurationService;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.SluiceConfig;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigUtils;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether this instance may act. Without leader election ({@code sluice.leader-election.enabled=false},
 * the default) it always may. With it, the operator SDK's own leader election holds a
 * {@code coordination.k8s.io/v1} Lease: the reconcilers run only while this instance holds it, and
 * Sluice's own work outside the reconcilers (the Rollout gauges, the push webhook) asks {@link #isLeader()}.
 * Followers keep their informer caches warm and write nothing. A leader that cannot renew the Lease
 * within the renew deadline exits (the operator SDK's default), so two instances never act at once;
 * a leader that dies without releasing the Lease is replaced once the Lease expires.
 * <p>
 * Exposed as the gauge {@code sluice_leader} (1 leader, 0 follower).
 */
@Singleton
public class Leadership {
    private static final Logger LOG = Logger.getLogger(Leadership.class);
    static final Path SERVICE_ACCOUNT_NAMESPACE = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");

    private final SluiceConfig.LeaderElection config;
    private final String identity = InstanceIdentity.get();
    private final AtomicBoolean leader;

    public Leadership(SluiceConfig config, MeterRegistry registry) {
        this.config = config.leaderElection();
        // With leader election, standing by from the start: nothing acts before the Lease is held.
        this.leader = new AtomicBoolean(!this.config.enabled());
        Gauge.builder("sluice.leader", leader, l -> l.get() ? 1 : 0)
                .description("1 when this operator instance is the leader and acts, 0 while it stands by")
                .register(registry);
    }

    /** Whether this instance acts: always without leader election, else while it holds the Lease. */
    public boolean isLeader() {
        return leader.get();
    }

    public boolean enabled() {
        return config.enabled();
    }

    public String identity() {
        return identity;
    }

    /**
     * The operator SDK's leader election settings, read by Quarkus Operator SDK when it builds the
     * operator; {@code null} (no leader election) unless enabled.
     */
    @Produces
    @Dependent
    LeaderElectionConfiguration leaderElectionConfiguration() {
        if (!config.enabled()) {
            LOG.info("Leader election is off (sluice.leader-election.enabled=false): this instance acts on its own; "
                    + "run a single replica");
            return null;
        }
        validate(config);
        String namespace = leaseNamespace(config.leaseNamespace(), System.getenv(), SERVICE_ACCOUNT_NAMESPACE);
        LOG.infof("Leader election is on: Lease %s/%s, identity %s (lease %s, renew deadline %s, retry every %s); "
                        + "standing by until this instance holds the Lease", namespace, config.leaseName(), identity,
                config.leaseDuration(), config.renewDeadline(), config.retryPeriod());
        LeaderCallbacks callbacks = new LeaderCallbacks(
                () -> {
                    leader.set(true);
                    LOG.infof("Leader election: this instance (%s) is now the LEADER (Lease %s/%s); it starts reconciling",
                            identity, namespace, config.leaseName());
                },
                () -> {
                    leader.set(false);
                    LOG.warnf("Leader election: this instance (%s) LOST the Lease %s/%s (not renewed within %s); "
                            + "exiting so that no two instances act at once", identity, namespace, config.leaseName(),
                            config.renewDeadline());
                },
                newLeader -> {
                    if (!identity.equals(newLeader)) {
                        LOG.infof("Leader election: the leader is %s; this instance (%s) stands by", newLeader, identity);
                    }
                });
        return new LeaderElectionConfiguration(config.leaseName(), namespace, config.leaseDuration(),
                config.renewDeadline(), config.retryPeriod(), identity, callbacks, true);
    }

    /**
     * Quarkus Operator SDK asks for the settings above only in the profiles of
     * {@code quarkus.operator-sdk.activate-leader-election-for-profiles}; in any other, asking for leader
     * election would silently give none, so startup fails instead.
     */
    void checkActivated(@Observes StartupEvent started, ConfigurationService operatorConfiguration) {
        if (config.enabled() && operatorConfiguration.getLeaderElectionConfiguration().isEmpty()) {
            throw new IllegalStateException("sluice.leader-election.enabled is true, but the operator SDK did not start "
                    + "leader election in the active profile " + ConfigUtils.getProfiles() + " (see "
                    + "quarkus.operator-sdk.activate-leader-election-for-profiles)");
        }
    }

    /** The configured namespace, else {@code POD_NAMESPACE}, else the service account's; fails clearly without. */
    static String leaseNamespace(Optional<String> configured, Map<String, String> env, Path serviceAccountNamespace) {
        Optional<String> chosen = configured.filter(s -> !s.isBlank())
                .or(() -> Optional.ofNullable(env.get("POD_NAMESPACE")).filter(s -> !s.isBlank()))
                .or(() -> readNamespace(serviceAccountNamespace));
        return chosen.map(String::strip).orElseThrow(() -> new IllegalStateException(
                "sluice.leader-election.enabled is true, but the namespace of the Lease is unknown: set "
                        + "sluice.leader-election.lease-namespace, or the environment variable POD_NAMESPACE, or run "
                        + "in a pod with a service account (" + serviceAccountNamespace + ")"));
    }

    private static Optional<String> readNamespace(Path file) {
        try {
            return Files.isRegularFile(file) ? Optional.of(Files.readString(file).strip()).filter(s -> !s.isEmpty())
                    : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The Lease only works as a lock if a leader gives up (renew deadline) before others may take over (duration). */
    static void validate(SluiceConfig.LeaderElection config) {
        Duration lease = config.leaseDuration();
        Duration renew = config.renewDeadline();
        Duration retry = config.retryPeriod();
        if (retry.isNegative() || retry.isZero()) {
            throw new IllegalStateException("sluice.leader-election.retry-period must be positive, was " + retry);
        }
        if (renew.compareTo(retry) <= 0) {
            throw new IllegalStateException("sluice.leader-election.renew-deadline (" + renew
                    + ") must be longer than sluice.leader-election.retry-period (" + retry + ")");
        }
        if (lease.compareTo(renew) <= 0) {
            throw new IllegalStateException("sluice.leader-election.lease-duration (" + lease
                    + ") must be longer than sluice.leader-election.renew-deadline (" + renew + ")");
        }
    }
}
