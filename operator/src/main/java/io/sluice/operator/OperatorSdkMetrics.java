package io.sluice.operator;

import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The operator SDK's own metrics (reconciles started, succeeded, failed, their durations, queue
 * sizes) per controller only. The Quarkus extension's default collects them per resource as well,
 * tagged with each Rollout's and AnalysisRun's name: dozens of series per resource, which at
 * thousands of Rollouts costs the operator's heap and the user's Prometheus more than the rest of
 * Sluice together. Per-Rollout state is on {@code sluice_*} gauges, with bounded labels.
 */
public class OperatorSdkMetrics {

    @Produces
    @Singleton
    Metrics perControllerMetrics(MeterRegistry registry) {
        return MicrometerMetrics.withoutPerResourceMetrics(registry);
    }
}
