package io.sluice.helm;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.sluice.config.SluiceConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every sluice.* property the chart renders is one the operator knows: the rendered
 * application.properties is loaded with the operator's own {@link SluiceConfig} mapping, which
 * (like the operator at startup) refuses an unknown sluice.* property, so a typo in the chart fails here.
 */
class ChartPropertiesTest {

    /** The leader-election properties agreed with the operator (SluiceConfig, prefix sluice.). */
    private static final Set<String> LEADER_ELECTION = Set.of("sluice.leader-election.enabled",
            "sluice.leader-election.lease-name", "sluice.leader-election.lease-namespace",
            "sluice.leader-election.lease-duration", "sluice.leader-election.renew-deadline",
            "sluice.leader-election.retry-period");

    private static final String EVERYTHING = """
            watchNamespaces: [shop, payments]
            prometheus:
              default:
                address: http://prometheus-operated.monitoring.svc:9090
              thanos:
                address: https://thanos.example.com/prometheus
                timeout: 5s
                bearerTokenSecret: thanos-token
                caConfigMap: {name: thanos-ca, key: ca.crt}
              basic:
                address: http://prom.example:9090
                basicAuthSecret: prom-basic
                caFile: /etc/ssl/private-ca.pem
            git: {cacheSizeLimit: 5Gi, minFetchInterval: 20s, mirrorIdleTimeout: 2h, timeout: 45s}
            webhook: {enabled: true, existingSecret: git-webhook}
            notifications:
              attempts: 6
              retryBackoff: 2s
              targets:
                team-chat:
                  type: slack
                  urlSecret: {name: sluice-notifications, key: slack-url}
                  events: [Promoted, RolledBack]
                audit:
                  urlSecret: {name: sluice-notifications, key: audit-url}
            extraProperties:
              sluice.retry-interval: 30s
            """;

    @Test
    void everyRenderedSluicePropertyIsOneTheOperatorKnows() {
        Properties rendered = RenderedChart.render(EVERYTHING).properties();

        SluiceConfig config = load(rendered, Map.of(
                "NOTIFICATION_URL_TEAM_CHAT", "https://hooks.slack.example/T1",
                "NOTIFICATION_URL_AUDIT", "https://audit.example/hook"));

        assertThat(config.prometheus()).containsOnlyKeys("default", "thanos", "basic");
        assertThat(config.prometheus().get("thanos").timeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.prometheus().get("thanos").bearerTokenSecret()).hasValue("thanos-token");
        assertThat(config.prometheus().get("thanos").caFile()).hasValue(Path.of("/etc/sluice/prometheus-ca/thanos/ca.crt"));
        assertThat(config.prometheus().get("basic").basicAuthSecret()).hasValue("prom-basic");
        assertThat(config.prometheus().get("basic").caFile()).hasValue(Path.of("/etc/ssl/private-ca.pem"));
        assertThat(config.git().cacheDir()).isEqualTo(Path.of("/var/cache/sluice/git"));
        assertThat(config.git().minFetchInterval()).isEqualTo(Duration.ofSeconds(20));
        assertThat(config.git().mirrorIdleTimeout()).isEqualTo(Duration.ofHours(2));
        assertThat(config.git().timeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(config.git().allowFileUrls()).as("never on in a cluster").isFalse();
        assertThat(config.notifications().attempts()).isEqualTo(6);
        assertThat(config.notifications().retryBackoff()).isEqualTo(Duration.ofSeconds(2));
        var chat = config.notifications().targets().get("team-chat");
        assertThat(chat.type()).isEqualTo("slack");
        assertThat(chat.url()).as("expanded from the Secret's environment variable").isEqualTo("https://hooks.slack.example/T1");
        assertThat(chat.on()).hasValue(List.of("Promoted", "RolledBack"));
        assertThat(config.notifications().targets().get("audit").type()).isEqualTo("webhook");
        assertThat(config.retryInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.webhook().secret()).as("the webhook secret is not in the ConfigMap").isEmpty();
    }

    @Test
    void defaultAndHaOffPropertiesAreKnownToo() {
        assertThat(load(RenderedChart.render("").properties(), Map.of()).prometheus()).isEmpty();
        assertThat(load(RenderedChart.render("replicaCount: 1\nleaderElection: {enabled: false}\n").properties(), Map.of())
                .git().timeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void aMisspelledPropertyFails() {
        Properties rendered = RenderedChart.render("extraProperties: {sluice.git.min-fetch-intervall: 20s}\n").properties();

        assertThatThrownBy(() -> load(rendered, Map.of())).hasMessageContaining("sluice.git.min-fetch-intervall");
    }

    /**
     * Loads the properties as the operator would. Until SluiceConfig declares leader election (another
     * branch adds it), those keys are checked against the agreed names instead of the mapping.
     */
    private static SluiceConfig load(Properties rendered, Map<String, String> environment) {
        Map<String, String> properties = new HashMap<>();
        rendered.stringPropertyNames().forEach(k -> properties.put(k, rendered.getProperty(k)));
        assertThat(properties.keySet()).filteredOn(k -> !k.startsWith("sluice.") && !k.startsWith("quarkus."))
                .as("properties of neither the operator nor Quarkus").isEmpty();
        boolean mappingHasLeaderElection = Arrays.stream(SluiceConfig.class.getMethods())
                .anyMatch(m -> m.getName().equals("leaderElection"));
        if (!mappingHasLeaderElection) {
            Set<String> leaderKeys = new TreeSet<>(properties.keySet());
            leaderKeys.removeIf(k -> !k.startsWith("sluice.leader-election."));
            assertThat(LEADER_ELECTION).containsAll(leaderKeys);
            properties.keySet().removeAll(leaderKeys);
        }
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .addDefaultInterceptors()
                .withConverter(Duration.class, 100, new DurationConverter())
                .withMapping(SluiceConfig.class)
                .withValidateUnknown(true)
                .withSources(new PropertiesConfigSource(properties, "rendered application.properties", 260))
                .withSources(new PropertiesConfigSource(environment, "environment", 300))
                .build();
        return config.getConfigMapping(SluiceConfig.class);
    }
}
