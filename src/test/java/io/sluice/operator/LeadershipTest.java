package io.sluice.operator;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.SluiceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LeadershipTest {
    @TempDir
    Path dir;

    @Test
    void theLeaseNamespaceIsTheConfiguredOneElsePodNamespaceElseTheServiceAccounts() throws IOException {
        Path saFile = Files.writeString(dir.resolve("namespace"), "from-service-account\n");
        assertThat(Leadership.leaseNamespace(Optional.of("configured"), Map.of("POD_NAMESPACE", "from-env"), saFile))
                .isEqualTo("configured");
        assertThat(Leadership.leaseNamespace(Optional.empty(), Map.of("POD_NAMESPACE", "from-env"), saFile))
                .isEqualTo("from-env");
        assertThat(Leadership.leaseNamespace(Optional.empty(), Map.of("POD_NAMESPACE", " "), saFile))
                .isEqualTo("from-service-account");
    }

    @Test
    void withoutAnyNamespaceStartupFailsNamingTheSettings() {
        assertThatThrownBy(() -> Leadership.leaseNamespace(Optional.empty(), Map.of(), dir.resolve("missing")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("sluice.leader-election.lease-namespace")
                .hasMessageContaining("POD_NAMESPACE");
    }

    @Test
    void theRenewDeadlineMustFallBetweenRetryPeriodAndLeaseDuration() {
        Leadership.validate(settings(true, "15s", "10s", "2s"));
        assertThatThrownBy(() -> Leadership.validate(settings(true, "10s", "10s", "2s")))
                .hasMessageContaining("lease-duration (PT10S) must be longer than sluice.leader-election.renew-deadline");
        assertThatThrownBy(() -> Leadership.validate(settings(true, "15s", "2s", "2s")))
                .hasMessageContaining("renew-deadline (PT2S) must be longer than sluice.leader-election.retry-period");
        assertThatThrownBy(() -> Leadership.validate(settings(true, "15s", "10s", "0s")))
                .hasMessageContaining("retry-period must be positive");
    }

    @Test
    void theIdentityIsThePodNameElseTheHostNameWithAPerProcessSuffix() {
        assertThat(InstanceIdentity.of(Map.of("POD_NAME", "sluice-7d9f", "HOSTNAME", "h"), "ab12")).isEqualTo("sluice-7d9f_ab12");
        assertThat(InstanceIdentity.of(Map.of("HOSTNAME", "laptop"), "ab12")).isEqualTo("laptop_ab12");
        assertThat(InstanceIdentity.of(Map.of(), "ab12")).isEqualTo("sluice_ab12");
        assertThat(InstanceIdentity.get()).as("two processes on one host differ by the suffix").matches(".+_[0-9a-f]{8}");
    }

    @Test
    void disabledTheInstanceActsAndTheOperatorSdkGetsNoLeaderElection() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Leadership leadership = new Leadership(config(settings(false, "15s", "10s", "2s")), registry);
        assertThat(leadership.leaderElectionConfiguration()).isNull();
        assertThat(leadership.isLeader()).isTrue();
        assertThat(registry.get("sluice.leader").gauge().value()).isEqualTo(1.0);
    }

    @Test
    void enabledTheInstanceStandsByUntilItLeads() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Leadership leadership = new Leadership(config(settings(true, "15s", "10s", "2s")), registry);
        LeaderElectionConfiguration election = leadership.leaderElectionConfiguration();
        assertThat(election.getLeaseName()).isEqualTo("sluice-leader");
        assertThat(election.getLeaseNamespace()).contains("ops");
        assertThat(election.getLeaseDuration()).isEqualTo(Duration.ofSeconds(15));
        assertThat(election.getRenewDeadline()).isEqualTo(Duration.ofSeconds(10));
        assertThat(election.getRetryPeriod()).isEqualTo(Duration.ofSeconds(2));
        assertThat(election.getIdentity()).contains(leadership.identity());
        assertThat(election.isExitOnStopLeading()).as("a leader that loses the Lease exits").isTrue();
        assertThat(leadership.isLeader()).isFalse();
        assertThat(registry.get("sluice.leader").gauge().value()).isZero();

        election.getLeaderCallbacks().orElseThrow().onStartLeading();
        assertThat(leadership.isLeader()).isTrue();
        assertThat(registry.get("sluice.leader").gauge().value()).isEqualTo(1.0);
        election.getLeaderCallbacks().orElseThrow().onStopLeading();
        assertThat(leadership.isLeader()).isFalse();
    }

    @Test
    void onlyTheLeaderPublishesTheRolloutGauges() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Leadership leadership = new Leadership(config(settings(true, "15s", "10s", "2s")), registry);
        LeaderElectionConfiguration election = leadership.leaderElectionConfiguration();
        RolloutMetrics metrics = new RolloutMetrics(registry);
        metrics.publishOnlyWhileLeading(leadership);
        io.sluice.api.v1alpha1.Rollout rollout = io.sluice.core.RolloutFixtures.checkout("file:///repo");
        rollout.setStatus(new io.sluice.api.v1alpha1.RolloutStatus());
        rollout.getStatus().phase = io.sluice.api.v1alpha1.RolloutPhase.Progressing;
        rollout.getStatus().canaryWeight = 20;
        metrics.watch(() -> java.util.stream.Stream.of(rollout));

        metrics.refresh();
        assertThat(registry.find("sluice.rollout.canary.weight").gauges()).as("a follower's gauges").isEmpty();
        assertThat(registry.get("sluice.rollouts").tag("phase", "Progressing").gauge().value()).isZero();

        election.getLeaderCallbacks().orElseThrow().onStartLeading();
        metrics.refresh();
        assertThat(registry.get("sluice.rollout.canary.weight").tag("rollout", "checkout").gauge().value()).isEqualTo(20.0);
        assertThat(registry.get("sluice.rollouts").tag("phase", "Progressing").gauge().value()).isEqualTo(1.0);
    }

    private static SluiceConfig config(SluiceConfig.LeaderElection election) {
        return (SluiceConfig) Proxy.newProxyInstance(LeadershipTest.class.getClassLoader(), new Class<?>[] {SluiceConfig.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("leaderElection")) {
                        return election;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private static SluiceConfig.LeaderElection settings(boolean enabled, String lease, String renew, String retry) {
        return new SluiceConfig.LeaderElection() {
            @Override
            public boolean enabled() {
                return enabled;
            }

            @Override
            public String leaseName() {
                return "sluice-leader";
            }

            @Override
            public Optional<String> leaseNamespace() {
                return Optional.of("ops");
            }

            @Override
            public Duration leaseDuration() {
                return Duration.parse("PT" + lease.toUpperCase());
            }

            @Override
            public Duration renewDeadline() {
                return Duration.parse("PT" + renew.toUpperCase());
            }

            @Override
            public Duration retryPeriod() {
                return Duration.parse("PT" + retry.toUpperCase());
            }
        };
    }
}
