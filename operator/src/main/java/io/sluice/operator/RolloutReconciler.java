package io.sluice.operator;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.sluice.api.v1alpha1.AnalysisTemplate;
import io.sluice.api.v1alpha1.AnalysisTemplateRef;
import io.sluice.api.v1alpha1.CanaryStep;
import io.sluice.api.v1alpha1.ClusterAnalysisTemplate;
import io.sluice.api.v1alpha1.GitSource;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutSpec;
import io.sluice.config.SluiceConfig;
import io.sluice.core.Durations;
import io.sluice.core.Problem;
import io.sluice.core.ReferenceCheck;
import io.sluice.core.SpecCheck;
import io.sluice.core.ValidationPlanner;
import io.sluice.core.ValidationPlanner.SourceOutcome;
import io.sluice.manifest.InvalidManifestException;
import io.sluice.manifest.Manifest;
import io.sluice.manifest.ManifestSet;
import io.sluice.source.GitCredentials;
import io.sluice.source.GitRequest;
import io.sluice.source.GitSnapshot;
import io.sluice.source.SourceException;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reconciles a Rollout: reads its Git source, checks everything it refers to, and reports the
 * result as conditions and events. Observe here, decide in {@link ValidationPlanner}, then write.
 * Canary delivery is not implemented yet; nothing is applied to the cluster.
 */
@ControllerConfiguration(name = "rollout")
public class RolloutReconciler implements Reconciler<Rollout> {
    private static final Logger LOG = Logger.getLogger(RolloutReconciler.class);
    private static final Duration CONFLICT_RETRY = Duration.ofSeconds(1);

    private final KubernetesClient client;
    private final io.sluice.source.GitSource git;
    private final StatusWriter statusWriter;
    private final EventRecorder events;
    private final SluiceConfig config;
    private final Clock clock;

    public RolloutReconciler(KubernetesClient client, io.sluice.source.GitSource git, StatusWriter statusWriter,
            EventRecorder events, SluiceConfig config, Clock clock) {
        this.client = client;
        this.git = git;
        this.statusWriter = statusWriter;
        this.events = events;
        this.config = config;
        this.clock = clock;
    }

    @Override
    public UpdateControl<Rollout> reconcile(Rollout rollout, Context<Rollout> context) {
        String namespace = rollout.getMetadata().getNamespace();
        RolloutSpec spec = rollout.getSpec();
        List<Problem> specProblems = SpecCheck.problems(spec);
        if (!specProblems.isEmpty()) {
            return writeAndReschedule(rollout, SourceOutcome.failed(specProblems.getFirst()), specProblems.subList(1, specProblems.size()));
        }
        List<String> missingTemplates = missingTemplates(spec, namespace);

        SourceOutcome source;
        List<Problem> referenceProblems;
        GitSource gitSpec = spec.source.git;
        try {
            GitSnapshot snapshot = git.read(new GitRequest(gitSpec.url, gitSpec.refOrDefault(), gitSpec.pathOrDefault(),
                    credentials(gitSpec, namespace)));
            ManifestSet manifests = ManifestSet.parse(snapshot.files());
            source = SourceOutcome.read(snapshot, manifests.all().size());
            referenceProblems = ReferenceCheck.problems(spec, namespace, gitSpec.pathOrDefault(), manifests,
                    new ReferenceCheck.Found(missingTemplates,
                            lookup(manifests, namespace, "VirtualService", spec.strategy.canary.trafficRouting.istio.virtualService.name),
                            Optional.ofNullable(spec.strategy.canary.trafficRouting.istio.destinationRule)
                                    .flatMap(dr -> lookup(manifests, namespace, "DestinationRule", dr.name))));
        } catch (SourceException e) {
            source = SourceOutcome.failed(new Problem(e.reason(), e.getMessage()));
            referenceProblems = ReferenceCheck.problemsWithTemplates(missingTemplates, namespace);
        } catch (InvalidManifestException e) {
            source = SourceOutcome.failed(new Problem("InvalidManifest", e.getMessage()));
            referenceProblems = ReferenceCheck.problemsWithTemplates(missingTemplates, namespace);
        }
        return writeAndReschedule(rollout, source, referenceProblems);
    }

    private UpdateControl<Rollout> writeAndReschedule(Rollout rollout, SourceOutcome source, List<Problem> referenceProblems) {
        String namespace = rollout.getMetadata().getNamespace();
        var plan = ValidationPlanner.plan(rollout, source, referenceProblems, clock.instant());
        StatusWriter.Outcome written = statusWriter.write(rollout, plan.status());
        if (written == StatusWriter.Outcome.CONFLICT) {
            LOG.debugf("status of %s/%s changed meanwhile; reconciling again", namespace, rollout.getMetadata().getName());
            return UpdateControl.<Rollout>noUpdate().rescheduleAfter(CONFLICT_RETRY);
        }
        if (written == StatusWriter.Outcome.WRITTEN && phaseOrMessageChanged(rollout, plan.status())) {
            LOG.infof("Rollout %s/%s: %s: %s", namespace, rollout.getMetadata().getName(), plan.status().phase,
                    plan.status().message);
        }
        events.record(rollout, plan.events());
        boolean healthy = source.problem().isEmpty() && referenceProblems.isEmpty();
        return UpdateControl.<Rollout>noUpdate().rescheduleAfter(healthy
                ? Durations.parse(rollout.getSpec().source.git.intervalOrDefault())
                : config.retryInterval());
    }

    private static boolean phaseOrMessageChanged(Rollout before, io.sluice.api.v1alpha1.RolloutStatus after) {
        return before.getStatus() == null || before.getStatus().phase != after.phase
                || !java.util.Objects.equals(before.getStatus().message, after.message);
    }

    /** Names of referenced templates that do not exist, e.g. "http-slo" or "cluster/shared-slo". */
    private List<String> missingTemplates(RolloutSpec spec, String namespace) {
        Set<String> missing = new LinkedHashSet<>();
        var canary = spec.strategy.canary;
        Stream<AnalysisTemplateRef> refs = Stream.concat(
                canary.analysis != null ? canary.analysis.templates.stream() : Stream.empty(),
                canary.steps == null ? Stream.empty() : canary.steps.stream()
                        .filter(s -> s.analysis != null).flatMap((CanaryStep s) -> s.analysis.templates.stream()));
        for (AnalysisTemplateRef ref : refs.toList()) {
            boolean exists = ref.clusterScoped()
                    ? client.resources(ClusterAnalysisTemplate.class).withName(ref.name).get() != null
                    : client.resources(AnalysisTemplate.class).inNamespace(namespace).withName(ref.name).get() != null;
            if (!exists) {
                missing.add(ref.clusterScoped() ? "ClusterAnalysisTemplate " + ref.name : ref.name);
            }
        }
        return new ArrayList<>(missing);
    }

    /** Credentials from the Secret named by secretRef; the values are never logged or reported. */
    private Optional<GitCredentials> credentials(GitSource gitSpec, String namespace) throws SourceException {
        if (gitSpec.secretRef == null) {
            return Optional.empty();
        }
        String name = gitSpec.secretRef.name;
        Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
        if (secret == null) {
            throw new SourceException("SecretNotFound", "Secret " + name + " (source.git.secretRef) not found in namespace "
                    + namespace);
        }
        return Optional.of(GitCredentials.fromSecret(secret));
    }

    /** An Istio object from the manifests, or else from the cluster (where Istio may not be installed). */
    private Optional<GenericKubernetesResource> lookup(ManifestSet manifests, String namespace, String kind, String name) {
        Optional<GenericKubernetesResource> fromGit = manifests.find("networking.istio.io", kind, name).map(Manifest::object);
        if (fromGit.isPresent()) {
            return fromGit;
        }
        try {
            return Optional.ofNullable(client.genericKubernetesResources("networking.istio.io/v1", kind)
                    .inNamespace(namespace).withName(name).get());
        } catch (KubernetesClientException e) {
            LOG.debugf("looking up %s %s/%s failed: %s", kind, namespace, name, e.getMessage());
            return Optional.empty();
        }
    }
}
