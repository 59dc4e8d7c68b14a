package io.sluice.operator;

import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The operator SDK's reconcile timings and errors per controller, not per Rollout. The Quarkus
 * extension's default keeps a set of meters (timers with histograms, counters, tags) for every
 * resource: measured by the benchmark at about 10 KiB of live heap per Rollout and a series per
 * Rollout on {@code /q/metrics}, which at 10,000 Rollouts is a large share of the heap for a
 * cardinality nobody graphs. Sluice's own gauges already report each Rollout's state.
 */
@Singleton
public class OperatorSdkMetrics {

    @Produces
    @Singleton
    Metrics operatorSdkMetrics(MeterRegistry registry) {
        return MicrometerMetrics.newMicrometerMetricsBuilder(registry).notCollectingMetricsPerResource().build();
    }
}
