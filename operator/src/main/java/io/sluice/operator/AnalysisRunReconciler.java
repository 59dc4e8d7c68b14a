package io.sluice.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.sluice.analysis.AnalysisVerdict;
import io.sluice.analysis.ArgResolver;
import io.sluice.analysis.ConditionEvaluator;
import io.sluice.analysis.MeasurementException;
import io.sluice.analysis.MeasurementSchedule;
import io.sluice.analysis.MetricAssessment;
import io.sluice.analysis.MetricProvider;
import io.sluice.analysis.Reading;
import io.sluice.analysis.ResolvedArgs;
import io.sluice.analysis.SecretArgUse;
import io.sluice.analysis.prometheus.PrometheusProvider;
import io.sluice.api.v1alpha1.AnalysisPhase;
import io.sluice.api.v1alpha1.AnalysisRun;
import io.sluice.api.v1alpha1.AnalysisRunStatus;
import io.sluice.api.v1alpha1.Metric;
import io.sluice.api.v1alpha1.MetricResult;
import io.sluice.config.SluiceConfig;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Takes the measurements of an AnalysisRun when they are due and keeps its verdict in its status:
 * the Rollout that owns the run reads the verdict and acts on it. All state is in the run's
 * status (tallies, the last measurements), so a restarted operator measures on from there.
 */
@ControllerConfiguration(name = "analysisrun")
public class AnalysisRunReconciler implements Reconciler<AnalysisRun> {
    private static final Logger LOG = Logger.getLogger(AnalysisRunReconciler.class);

    private final KubernetesClient client;
    private final StatusWriter statusWriter;
    private final MetricProvider provider;
    private final ArgResolver args;
    private final MetricAssessment assessment = new MetricAssessment(new ConditionEvaluator());
    private final RolloutMetrics metrics;
    private final TrafficBrake brake;
    private final SluiceConfig config;
    private final Clock clock;

    @Inject
    public AnalysisRunReconciler(KubernetesClient client, StatusWriter statusWriter, ClusterSecrets secrets,
            RolloutMetrics metrics, TrafficBrake brake, SluiceConfig config, Clock clock) {
        this(client, statusWriter, new PrometheusProvider(config.prometheus(), secrets, client.getNamespace()), secrets,
                metrics, brake, config, clock);
    }

    AnalysisRunReconciler(KubernetesClient client, StatusWriter statusWriter, MetricProvider provider,
            ClusterSecrets secrets, RolloutMetrics metrics, TrafficBrake brake, SluiceConfig config, Clock clock) {
        this.client = client;
        this.brake = brake;
        this.statusWriter = statusWriter;
        this.metrics = metrics;
        this.provider = provider;
        this.args = new ArgResolver(secrets);
        this.config = config;
        this.clock = clock;
    }

    @Override
    public UpdateControl<AnalysisRun> reconcile(AnalysisRun run, Context<AnalysisRun> context) {
        AnalysisRunStatus current = run.getStatus();
        if (current != null && current.phase != null && current.phase.isCompleted()) {
            return UpdateControl.noUpdate();
        }
        AnalysisRunStatus next = current == null ? new AnalysisRunStatus() : client.getKubernetesSerialization().clone(current);
        Instant now = clock.instant();
        if (next.startedAt == null) {
            next.startedAt = now.toString();
        }
        Instant startedAt = Instant.parse(next.startedAt);
        List<Metric> metrics = run.getSpec() == null || run.getSpec().metrics == null ? List.of() : run.getSpec().metrics;
        if (metrics.isEmpty()) {
            // Nothing to measure can pass nothing: without this an empty run would read Successful.
            next.phase = AnalysisPhase.Error;
            next.message = "the AnalysisRun has no metrics, so it can neither pass nor fail";
            statusWriter.write(run, next, context);
            return UpdateControl.noUpdate();
        }
        List<String> misuse = SecretArgUse.problems(metrics, run.getSpec().args);
        if (!misuse.isEmpty()) {
            // Before any measurement, and before any Secret is read: a Secret-valued arg in a query
            // would let the template's author read the Secret through the answers.
            next.phase = AnalysisPhase.Error;
            next.message = "InvalidSpec: " + String.join("; ", misuse);
            if (statusWriter.write(run, next, context) == StatusWriter.Outcome.WRITTEN) {
                this.metrics.analysisCompleted(next.phase);
                LOG.infof("AnalysisRun %s/%s: %s: %s", run.getMetadata().getNamespace(), run.getMetadata().getName(),
                        next.phase, next.message);
                brake.engage(run, next.phase);
            }
            return UpdateControl.noUpdate();
        }
        List<MetricResult> results = new ArrayList<>(next.metricResults == null ? List.of() : next.metricResults);

        boolean terminate = Boolean.TRUE.equals(run.getSpec().terminate);
        Optional<Instant> nextDue = Optional.empty();
        if (!terminate) {
            ResolvedArgs resolved = null;
            String argsProblem = null;
            for (Metric metric : metrics) {
                MetricResult result = find(results, metric.name);
                Optional<Instant> due = MeasurementSchedule.nextMeasurement(metric, startedAt, result);
                if (due.isPresent() && !due.get().isAfter(now)) {
                    if (resolved == null && argsProblem == null) {
                        try {
                            resolved = args.resolve(run.getMetadata().getNamespace(), run.getSpec().args);
                        } catch (MeasurementException e) {
                            argsProblem = e.getMessage();
                        }
                    }
                    Instant measuredAt = clock.instant();
                    Reading reading = argsProblem != null ? new Reading.Unavailable(argsProblem) : provider.measure(metric, resolved);
                    result = assessment.assess(metric, result, reading, measuredAt, clock.instant());
                    replace(results, result);
                    recordValue(run, metric, result);
                    due = MeasurementSchedule.nextMeasurement(metric, startedAt, result);
                }
                if (due.isPresent() && (nextDue.isEmpty() || due.get().isBefore(nextDue.get()))) {
                    nextDue = due;
                }
            }
        }
        next.metricResults = results;
        AnalysisVerdict verdict = AnalysisVerdict.of(metrics, results);
        if (terminate && !verdict.phase().isCompleted()) {
            // Stopped by its Rollout before it finished (the step was promoted past, the canary was
            // promoted or replaced): it has not passed. What was measured is kept; every metric still
            // measuring and the run are Inconclusive, never Successful.
            for (MetricResult result : results) {
                if (result.phase == null || !result.phase.isCompleted()) {
                    result.phase = AnalysisPhase.Inconclusive;
                }
            }
            next.phase = AnalysisPhase.Inconclusive;
            next.message = "terminated: " + verdict.message();
        } else {
            next.phase = verdict.phase() == AnalysisPhase.Pending ? AnalysisPhase.Running : verdict.phase();
            next.message = verdict.message();
        }
        StatusWriter.Outcome written = statusWriter.write(run, next, context);
        if (written == StatusWriter.Outcome.CONFLICT) {
            return UpdateControl.<AnalysisRun>noUpdate().rescheduleAfter(Duration.ofSeconds(1));
        }
        if (written == StatusWriter.Outcome.WRITTEN) {
            if (next.phase.isCompleted()) {
                this.metrics.analysisCompleted(next.phase);
                LOG.infof("AnalysisRun %s/%s: %s: %s", run.getMetadata().getNamespace(), run.getMetadata().getName(),
                        next.phase, next.message);
            }
            if (next.phase == AnalysisPhase.Failed || next.phase == AnalysisPhase.Error) {
                // The verdict is on record: traffic goes back to stable now, not when the Rollout's
                // reconcile (which aborts the canary) gets its turn.
                brake.engage(run, next.phase);
            }
        }
        if (next.phase.isCompleted() || nextDue.isEmpty()) {
            return UpdateControl.noUpdate();
        }
        Duration wait = Duration.between(clock.instant(), nextDue.get());
        if (wait.isNegative()) {
            wait = Duration.ZERO;
        }
        return UpdateControl.<AnalysisRun>noUpdate().rescheduleAfter(
                wait.compareTo(config.timerResolution()) < 0 ? wait : config.timerResolution());
    }

    private void recordValue(AnalysisRun run, Metric metric, MetricResult result) {
        var labels = run.getMetadata().getLabels();
        String rollout = labels == null ? null : labels.get(io.sluice.workload.Labels.ROLLOUT);
        if (rollout == null || result.measurements == null || result.measurements.isEmpty()) {
            return;
        }
        try {
            metrics.measured(run.getMetadata().getNamespace(), rollout, metric.name,
                    Double.parseDouble(result.measurements.getLast().value));
        } catch (NumberFormatException | NullPointerException notANumber) {
            // no data, or a multi-series result: nothing to show as one value
        }
    }

    private static MetricResult find(List<MetricResult> results, String name) {
        return results.stream().filter(r -> name.equals(r.name)).findFirst().orElse(null);
    }

    private static void replace(List<MetricResult> results, MetricResult result) {
        results.removeIf(r -> result.name.equals(r.name));
        results.add(result);
    }
}
