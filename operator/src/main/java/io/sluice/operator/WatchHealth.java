package io.sluice.operator;

import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.RuntimeInfo;
import io.javaoperatorsdk.operator.health.InformerHealthIndicator;
import io.javaoperatorsdk.operator.health.InformerWrappingEventSourceHealthIndicator;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.SluiceConfig;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Whether the operator can still see what it acts on. Its view of Rollouts, AnalysisRuns and their
 * Deployments comes from watches; a watch that stopped for good (the client gives up on some errors)
 * or has been reconnecting for longer than {@code sluice.watch-grace} leaves it acting on a stale cache:
 * starting a canary the user has since paused, missing a resume. Then:
 * <ul>
 *   <li>the liveness check fails, naming the watches, so that Kubernetes restarts the pod and the new
 *   one establishes its watches anew (a stopped watch cannot be restarted in place);</li>
 *   <li>{@code sluice_watches_down} counts them, for an alert.</li>
 * </ul>
 * Readiness (the operator SDK's own check) already fails while any watch is down.
 */
@Liveness
@Singleton
public class WatchHealth implements HealthCheck {
    private static final Logger LOG = Logger.getLogger(WatchHealth.class);

    /** The operator SDK's view of its informers; null until the operator has started. */
    private final java.util.function.Supplier<RuntimeInfo> runtime;
    private final Duration grace;
    private final Clock clock;
    /** Since when each watch that is not watching has been seen so; cleared when it watches again. */
    private final Map<String, Instant> downSince = new HashMap<>();
    private final Set<String> reported = new java.util.HashSet<>();

    @jakarta.inject.Inject
    public WatchHealth(Instance<Operator> operator, SluiceConfig config, Clock clock, MeterRegistry registry) {
        this(() -> operator.isResolvable() && operator.get().getRuntimeInfo().isStarted()
                ? operator.get().getRuntimeInfo() : null, config, clock, registry);
    }

    WatchHealth(java.util.function.Supplier<RuntimeInfo> runtime, SluiceConfig config, Clock clock, MeterRegistry registry) {
        this.runtime = runtime;
        this.grace = config.watchGrace();
        this.clock = clock;
        Gauge.builder("sluice.watches.down", this, w -> w.blind().size())
                .description("Watches of this operator (Rollouts, AnalysisRuns, Deployments, ...) stopped, or down for "
                        + "longer than sluice.watch-grace: it acts on a stale view of them; the liveness probe fails")
                .register(registry);
    }

    @Override
    public HealthCheckResponse call() {
        Map<String, String> blind = blind();
        HealthCheckResponseBuilder response = HealthCheckResponse.named("Sluice watches").status(blind.isEmpty());
        blind.forEach(response::withData);
        return response.build();
    }

    /** The watches the operator is blind through, by name, with what is wrong with each. */
    synchronized Map<String, String> blind() {
        Map<String, String> blind = new TreeMap<>();
        RuntimeInfo info = runtime.get();
        if (info == null) {
            return blind; // starting: the startup probe covers this
        }
        Instant now = clock.instant();
        Map<String, InformerHealthIndicator> informers = new HashMap<>();
        var unhealthy = info.unhealthyInformerWrappingEventSourceHealthIndicator();
        for (var controller : unhealthy.entrySet()) {
            for (var source : controller.getValue().entrySet()) {
                InformerWrappingEventSourceHealthIndicator<?> indicator = source.getValue();
                for (Map.Entry<String, InformerHealthIndicator> informer : indicator.informerHealthIndicators().entrySet()) {
                    String namespace = informer.getKey();
                    boolean all = namespace == null || namespace.isEmpty() || "JOSDK_ALL_NAMESPACES".equals(namespace);
                    informers.put(controller.getKey() + "/" + source.getKey() + (all ? "" : " in " + namespace),
                            informer.getValue());
                }
            }
        }
        downSince.keySet().retainAll(informers.keySet());
        List<String> nowBlind = new ArrayList<>();
        informers.forEach((name, informer) -> {
            if (!informer.isRunning()) {
                blind.put(name, "stopped");
            } else if (!informer.isWatching()) {
                Instant since = downSince.computeIfAbsent(name, n -> now);
                if (Duration.between(since, now).compareTo(grace) >= 0) {
                    blind.put(name, "not watching since " + since);
                }
            } else {
                downSince.remove(name);
            }
        });
        for (String name : blind.keySet()) {
            if (reported.add(name)) {
                nowBlind.add(name + ": " + blind.get(name));
            }
        }
        reported.retainAll(blind.keySet());
        if (!nowBlind.isEmpty()) {
            LOG.errorf("The operator cannot see what it acts on through %s; the liveness check fails so that it is "
                    + "restarted with new watches", String.join(", ", nowBlind));
        }
        return blind;
    }
}
