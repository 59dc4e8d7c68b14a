package io.sluice.operator;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.scheduler.Scheduled;
import io.sluice.api.v1alpha1.AnalysisPhase;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Rollout metrics on the operator's metrics endpoint, with bounded label sets: phases and verdicts
 * are fixed enums; the per-Rollout series (canary weight, last measured values) carry only namespace,
 * Rollout and metric names, never a revision or a measurement, and disappear with their Rollout.
 * Reconcile durations and errors come from the operator SDK's own metrics.
 */
@ApplicationScoped
public class RolloutMetrics {
    private final Map<RolloutPhase, AtomicLong> rolloutsByPhase = new EnumMap<>(RolloutPhase.class);
    private final Map<AnalysisPhase, Counter> verdicts = new EnumMap<>(AnalysisPhase.class);
    private final MultiGauge canaryWeights;
    private final MultiGauge measuredValues;
    /**
     * The most metric series one Rollout keeps on the measurement gauge: metric names are the tenant's
     * choice, so older ones give way to the most recently measured.
     */
    static final int MAX_MEASURED_METRICS_PER_ROLLOUT = 20;
    /** namespace/rollout → metric → last measured value, least recently measured first; pruned with the Rollouts. */
    private final Map<List<String>, java.util.LinkedHashMap<String, Double>> lastValues = new ConcurrentHashMap<>();
    private volatile Supplier<Stream<Rollout>> rollouts = Stream::empty;
    private volatile BooleanSupplier leader = () -> true;

    public RolloutMetrics(MeterRegistry registry) {
        for (RolloutPhase phase : RolloutPhase.values()) {
            AtomicLong count = new AtomicLong();
            rolloutsByPhase.put(phase, count);
            Gauge.builder("sluice.rollouts", count, AtomicLong::get).tag("phase", phase.name())
                    .description("Rollouts in each phase").register(registry);
        }
        for (AnalysisPhase phase : List.of(AnalysisPhase.Successful, AnalysisPhase.Failed, AnalysisPhase.Inconclusive,
                AnalysisPhase.Error)) {
            verdicts.put(phase, Counter.builder("sluice.analysis.runs").tag("phase", phase.name())
                    .description("AnalysisRuns completed, by verdict").register(registry));
        }
        canaryWeights = MultiGauge.builder("sluice.rollout.canary.weight")
                .description("Percentage of traffic on the canary").register(registry);
        measuredValues = MultiGauge.builder("sluice.analysis.measurement.value")
                .description("The last value measured for each metric of a Rollout's analysis").register(registry);
    }

    /**
     * Under leader election only the leader publishes the Rollout gauges: a follower's cache holds the
     * same Rollouts, and two replicas reporting them would double every sum over the operator's pods.
     */
    @Inject
    void publishOnlyWhileLeading(Leadership leadership) {
        this.leader = leadership::isLeader;
    }

    /** Where the Rollouts are read from at each refresh (the controller's informer cache). */
    void watch(Supplier<Stream<Rollout>> source) {
        this.rollouts = source;
    }

    void analysisCompleted(AnalysisPhase verdict) {
        Counter counter = verdicts.get(verdict);
        if (counter != null) {
            counter.increment();
        }
    }

    void measured(String namespace, String rollout, String metric, double value) {
        if (Double.isNaN(value)) {
            return;
        }
        var values = lastValues.computeIfAbsent(List.of(namespace, rollout), k -> new java.util.LinkedHashMap<>());
        synchronized (values) {
            values.remove(metric); // measured again: now the most recent
            values.put(metric, value);
            var oldest = values.keySet().iterator();
            while (values.size() > MAX_MEASURED_METRICS_PER_ROLLOUT) {
                oldest.next();
                oldest.remove();
            }
        }
    }

    /** Recomputes the gauges from the cache, dropping the series of Rollouts that are gone. */
    @Scheduled(every = "${sluice.metrics-refresh:15s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refresh() {
        Map<RolloutPhase, Long> counts = new EnumMap<>(RolloutPhase.class);
        List<MultiGauge.Row<?>> weights = new ArrayList<>();
        java.util.Set<List<String>> present = new java.util.HashSet<>();
        Stream<Rollout> all;
        try {
            all = leader.getAsBoolean() ? rollouts.get() : Stream.empty();
        } catch (RuntimeException cacheNotStartedYet) {
            return; // the controller's informer is not running yet (startup) or any more (shutdown)
        }
        all.forEach(r -> {
            String namespace = r.getMetadata().getNamespace();
            String name = r.getMetadata().getName();
            present.add(List.of(namespace, name));
            var status = r.getStatus();
            if (status == null || status.phase == null) {
                return;
            }
            counts.merge(status.phase, 1L, Long::sum);
            weights.add(MultiGauge.Row.of(Tags.of("namespace", namespace, "rollout", name),
                    status.canaryWeight == null ? 0 : status.canaryWeight));
        });
        rolloutsByPhase.forEach((phase, gauge) -> gauge.set(counts.getOrDefault(phase, 0L)));
        canaryWeights.register(weights, true);
        lastValues.keySet().removeIf(key -> !present.contains(key));
        List<MultiGauge.Row<?>> measured = new ArrayList<>();
        lastValues.forEach((key, values) -> {
            synchronized (values) {
                values.forEach((metric, value) -> measured.add(MultiGauge.Row.of(
                        Tags.of("namespace", key.get(0), "rollout", key.get(1), "metric", metric), value)));
            }
        });
        measuredValues.register(measured, true);
    }
}
