package io.sluice.analysis;

import io.sluice.api.v1alpha1.Metric;

/** Where measurements come from: one implementation per metric provider of the API (Prometheus first). */
public interface MetricProvider {

    /**
     * Takes one measurement of {@code metric}: its query and, when it has one, its
     * {@code noData.trafficQuery}. Never throws for a failure of the measurement: that is a
     * {@link Reading.Unavailable}, whose reason holds no secret value.
     */
    Reading measure(Metric metric, ResolvedArgs args);
}
