package io.sluice.config;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The keys of Prometheus endpoints as a platform team writes them in application.properties or env. */
class PrometheusConfigTest {

    @Test
    void namedEndpointsWithTheirSettingsAndDefaults() {
        SluiceConfig config = config(Map.of(
                "sluice.prometheus.default.address", "http://prometheus.monitoring:9090",
                "sluice.prometheus.\"thanos-eu\".address", "https://thanos.example/prometheus",
                "sluice.prometheus.\"thanos-eu\".timeout", "3s",
                "sluice.prometheus.\"thanos-eu\".bearer-token-secret", "thanos-token",
                "sluice.prometheus.\"thanos-eu\".ca-file", "/etc/sluice/ca.pem",
                "sluice.prometheus.basic.address", "http://127.0.0.1:9090",
                "sluice.prometheus.basic.basic-auth-secret", "prom-basic"));

        assertThat(config.prometheus()).containsOnlyKeys("default", "thanos-eu", "basic");
        SluiceConfig.Prometheus plain = config.prometheus().get("default");
        assertThat(plain.address()).isEqualTo("http://prometheus.monitoring:9090");
        assertThat(plain.timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(plain.bearerTokenSecret()).isEmpty();
        assertThat(plain.basicAuthSecret()).isEmpty();
        assertThat(plain.caFile()).isEmpty();
        SluiceConfig.Prometheus thanos = config.prometheus().get("thanos-eu");
        assertThat(thanos.timeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(thanos.bearerTokenSecret()).hasValue("thanos-token");
        assertThat(thanos.caFile()).hasValue(Path.of("/etc/sluice/ca.pem"));
        assertThat(config.prometheus().get("basic").basicAuthSecret()).hasValue("prom-basic");
    }

    @Test
    void noneByDefault() {
        assertThat(config(Map.of()).prometheus()).isEmpty();
    }

    private static SluiceConfig config(Map<String, String> properties) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .addDefaultInterceptors()
                .addDefaultSources()
                // Quarkus reads durations as 10s, 1m (not only ISO-8601)
                .withConverter(Duration.class, 100, new DurationConverter())
                .withMapping(SluiceConfig.class)
                .withSources(new PropertiesConfigSource(properties, "test", 100))
                .build();
        return config.getConfigMapping(SluiceConfig.class);
    }
}
