package io.sluice.helm;

import com.marcnuri.helm.DryRun;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.sluice.operator.AnalysisRunReconciler;
import io.sluice.operator.RolloutReconciler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static io.sluice.helm.RenderedChart.NAMESPACE;
import static io.sluice.helm.RenderedChart.RELEASE;
import static io.sluice.helm.RenderedChart.grants;
import static io.sluice.helm.RenderedChart.render;
import static io.sluice.helm.RenderedChart.renderAsIs;
import static io.sluice.helm.RenderedChart.verbs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

/**
 * helm lint and helm template of helm/sluice (helm-java, no cluster) for the value sets a platform
 * team uses, asserting the rendered objects: RBAC, pod security, leader election, configuration, the
 * image, the CRDs, and the chart as a subchart of an umbrella chart.
 */
class HelmChartTest {

    /** What Sluice does in a namespace it reconciles, verb by verb (see templates/rbac.yaml for why). */
    private static final Map<String, Set<String>> NAMESPACED_GRANTS = new TreeMap<>(Map.ofEntries(
            entry("sluice.io/rollouts", verbs("get", "list", "watch")),
            entry("sluice.io/rollouts/status", verbs("update")),
            entry("sluice.io/analysisruns", verbs("get", "list", "watch", "create", "update")),
            entry("sluice.io/analysisruns/status", verbs("update")),
            entry("sluice.io/analysistemplates", verbs("get")),
            entry("apps/deployments", verbs("get", "list", "watch", "create", "update", "delete")),
            entry("/services", verbs("get", "list", "create", "update", "delete")),
            entry("networking.istio.io/virtualservices", verbs("get", "list", "watch", "create", "update", "delete")),
            entry("networking.istio.io/destinationrules", verbs("get", "create", "update", "delete")),
            entry("/secrets", verbs("get")),
            entry("/events", verbs("create")),
            // rbac.gitManagedResources, default
            entry("/configmaps", verbs("get", "list", "create", "update", "delete")),
            entry("/serviceaccounts", verbs("get", "list", "create", "update", "delete")),
            entry("autoscaling/horizontalpodautoscalers", verbs("get", "list", "create", "update", "delete")),
            entry("policy/poddisruptionbudgets", verbs("get", "list", "create", "update", "delete"))));

    private static final Set<String> READ_VERBS = Set.of("get", "list", "watch");

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    // ---------------------------------------------------------------- lint, schema, CRDs

    @Test
    void lintPassesWithoutWarnings() {
        // values.yaml names no image, and rendering fails without one; helm lint's rendering treats
        // `fail` as informational (lint mode), so it still checks every template.
        LintResult lint = new Helm(RenderedChart.chartDir()).lint().strict().call();

        assertThat(lint.isFailed()).as("helm lint --strict: %s", lint.getMessages()).isFalse();
        assertThat(lint.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @Test
    void chartCrdsAreByteForByteTheProjectsCrds() throws IOException {
        Path project = RenderedChart.chartDir().getParent().getParent();
        Map<String, String> top = readYamlFiles(project.resolve("crds"));
        Map<String, String> chart = readYamlFiles(RenderedChart.chartDir().resolve("files/crds"));

        assertThat(top).as("crds/").hasSize(4);
        assertThat(chart)
                .as("helm/sluice/files/crds differs from crds/: run `./sluice crds` (it writes both) and commit")
                .isEqualTo(top);
        assertThat(RenderedChart.chartDir().resolve("crds"))
                .as("a crds/ folder would be installed by Helm whatever crds.install says").doesNotExist();
    }

    @Test
    void crdsRenderWithTheReleaseAndHelmUninstallKeepsThem() throws IOException {
        Path project = RenderedChart.chartDir().getParent().getParent();
        Map<String, CustomResourceDefinition> expected = new TreeMap<>();
        for (String text : readYamlFiles(project.resolve("crds")).values()) {
            CustomResourceDefinition crd = SERIALIZATION.unmarshal(text, CustomResourceDefinition.class);
            expected.put(crd.getMetadata().getName(), crd);
        }

        List<CustomResourceDefinition> crds = render("").all(CustomResourceDefinition.class);

        assertThat(crds).extracting(c -> c.getMetadata().getName())
                .containsExactlyInAnyOrderElementsOf(expected.keySet())
                .containsExactlyInAnyOrder("rollouts.sluice.io", "analysistemplates.sluice.io",
                        "clusteranalysistemplates.sluice.io", "analysisruns.sluice.io");
        for (CustomResourceDefinition crd : crds) {
            assertThat(crd.getSpec()).as("spec of %s", crd.getMetadata().getName())
                    .isEqualTo(expected.get(crd.getMetadata().getName()).getSpec());
            assertThat(crd.getMetadata().getAnnotations()).containsExactly(entry("helm.sh/resource-policy", "keep"));
            assertThat(crd.getMetadata().getLabels())
                    .containsEntry("app.kubernetes.io/part-of", "sluice")
                    .containsEntry("app.kubernetes.io/managed-by", "Helm")
                    .doesNotContainKey("app.kubernetes.io/component");
        }
        assertThat(render("crds: {keep: false}\n").all(CustomResourceDefinition.class)).hasSize(4)
                .allSatisfy(c -> assertThat(c.getMetadata().getAnnotations()).isNullOrEmpty());
    }

    @Test
    void crdsInstallFalseRendersNoCrd() {
        RenderedChart chart = render("crds: {install: false}\n");

        assertThat(chart.all(CustomResourceDefinition.class)).isEmpty();
        assertThat(chart.objects).noneMatch(o -> o.getKind().equals("CustomResourceDefinition"));
        assertThat(chart.deployment()).isNotNull();
    }

    @Test
    void withoutAnImageTheChartRefusesToRenderAndSaysWhy() {
        assertThatThrownBy(() -> renderAsIs(""))
                .hasMessageContaining("image.repository is not set: no Sluice image is published yet")
                .hasMessageContaining("docker build -f operator/src/main/docker/Dockerfile.jvm")
                .hasMessageContaining("set image.repository and image.tag (or image.digest)");
        assertThatThrownBy(() -> renderAsIs("image: {tag: 0.1.0}\n"))
                .hasMessageContaining("image.repository is not set");
    }

    @Test
    void imageIsRepositoryAndTagDefaultingToTheAppVersion() {
        assertThat(operator(renderAsIs("image: {repository: registry.example.com/sluice}\n").deployment()).getImage())
                .isEqualTo("registry.example.com/sluice:0.1.0");
        assertThat(operator(renderAsIs("image: {repository: registry.example.com:5000/sluice, tag: 0.2.0-rc.1}\n")
                .deployment()).getImage()).isEqualTo("registry.example.com:5000/sluice:0.2.0-rc.1");
    }

    @Test
    void imageDigestWinsOverTheTag() {
        String digest = "sha256:" + "0123456789abcdef".repeat(4);

        Container operator = operator(renderAsIs("image: {repository: registry.example.com/sluice, tag: 0.1.0, digest: '"
                + digest + "'}\n").deployment());

        assertThat(operator.getImage()).isEqualTo("registry.example.com/sluice@" + digest);
    }

    @Test
    void schemaRejectsADigestThatIsNotSha256() {
        assertThatThrownBy(() -> render("image: {digest: 'sha256:abc'}\n")).hasMessageContaining("/image/digest");
        assertThatThrownBy(() -> render("image: {digest: 'latest'}\n")).hasMessageContaining("/image/digest");
        assertThatThrownBy(() -> render("image: {digest: 'sha256:" + "0123456789ABCDEF".repeat(4) + "'}\n"))
                .as("lower-case hex only").hasMessageContaining("/image/digest");
        assertThatThrownBy(() -> render("image: {tag: 'sha256:" + "0123456789abcdef".repeat(4) + "'}\n"))
                .as("a digest belongs in image.digest").hasMessageContaining("/image/tag");
        assertThatThrownBy(() -> render("image: {repository: 'registry.example.com/sluice@sha256:abc'}\n"))
                .hasMessageContaining("/image/repository");
    }

    @Test
    void globalValuesAreAcceptedAtTheTopLevelToo() {
        assertThat(render("global: {imageRegistry: example.com, foo: {bar: 1}}\n").deployment()).isNotNull();
    }

    @Test
    void rendersAsASubchartOfAnUmbrellaChartThatSetsGlobalValues(@TempDir Path umbrella) throws IOException {
        // Helm hands every subchart the umbrella's `global` values, and checks them against the
        // subchart's values.schema.json like any other key.
        Path chart = RenderedChart.chartDir();
        String version = chartVersion();
        Files.writeString(umbrella.resolve("Chart.yaml"), """
                apiVersion: v2
                name: platform
                version: 1.0.0
                dependencies:
                  - name: sluice
                    version: "%s"
                    repository: "file://%s"
                """.formatted(version, chart));
        copyTree(chart, umbrella.resolve("charts/sluice"));

        RenderedChart rendered = RenderedChart.render(umbrella, "platform", """
                global:
                  imageRegistry: example.com
                  foo: bar
                sluice:
                  image: {repository: registry.example.com/sluice, tag: 0.1.0-dev}
                  replicaCount: 1
                  leaderElection: {enabled: false}
                """);

        Deployment deployment = rendered.get(Deployment.class, "platform-sluice");
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
        assertThat(operator(deployment).getImage()).isEqualTo("registry.example.com/sluice:0.1.0-dev");
        assertThat(rendered.all(CustomResourceDefinition.class)).hasSize(4);
    }

    @Test
    void schemaRejectsAReplicaCountThatIsNotANumber() {
        assertThatThrownBy(() -> render("replicaCount: two\n"))
                .hasMessageContaining("/replicaCount")
                .hasMessageContaining("got string, want integer");
    }

    @Test
    void schemaRejectsAnUnknownKey() {
        assertThatThrownBy(() -> render("replicas: 2\n"))
                .hasMessageContaining("additional properties 'replicas' not allowed");
        assertThatThrownBy(() -> render("leaderElection: {leaseDurationSeconds: 15}\n"))
                .hasMessageContaining("additional properties 'leaseDurationSeconds' not allowed");
    }

    @Test
    void schemaRejectsWildcardsAndBadEnums() {
        assertThatThrownBy(() -> render("rbac: {gitManagedResources: [{apiGroup: '*', resources: ['*']}]}\n"))
                .hasMessageContaining("/rbac/gitManagedResources/0/apiGroup")
                .hasMessageContaining("/rbac/gitManagedResources/0/resources/0");
        assertThatThrownBy(() -> render("prometheus: {default: {address: 'http://user:password@prom:9090'}}\n"))
                .as("credentials belong in a Secret, not in the address")
                .hasMessageContaining("/prometheus/default/address");
        assertThatThrownBy(() -> render("prometheus: {default: {timeout: 5s}}\n"))
                .hasMessageContaining("/prometheus/default")
                .hasMessageContaining("address");
        assertThatThrownBy(() -> render("image: {pullPolicy: Sometimes}\n"))
                .hasMessageContaining("/image/pullPolicy");
        assertThatThrownBy(() -> render("notifications: {targets: {chat: {urlSecret: {name: s, key: k}, events: [Deployed]}}}\n"))
                .hasMessageContaining("/notifications/targets/chat/events/0");
    }

    @Test
    void severalReplicasWithoutLeaderElectionAreRefusedWithAClearMessage() {
        assertThatThrownBy(() -> render("leaderElection: {enabled: false}\n"))
                .hasMessageContaining("replicaCount is 2 but leaderElection.enabled is false")
                .hasMessageContaining("Set replicaCount to 1, or enable leaderElection");
    }

    @Test
    void leaseTimingThatCannotWorkIsRefused() {
        assertThatThrownBy(() -> render("leaderElection: {leaseDuration: 10s, renewDeadline: 1m}\n"))
                .hasMessageContaining("leaderElection.renewDeadline (1m) must be shorter than leaderElection.leaseDuration (10s)");
        assertThatThrownBy(() -> render("leaderElection: {retryPeriod: 10000ms}\n"))
                .hasMessageContaining("leaderElection.retryPeriod (10000ms) must be shorter than leaderElection.renewDeadline (10s)");
        assertThat(render("leaderElection: {leaseDuration: 1m, renewDeadline: 45s, retryPeriod: 5s}\n").properties())
                .contains(entry("sluice.leader-election.lease-duration", "1m"));
    }

    @Test
    void webhookWithoutASecretAndSecretsFromGitAreRefused() {
        assertThatThrownBy(() -> render("webhook: {enabled: true}\n"))
                .hasMessageContaining("webhook.existingSecret is empty");
        assertThatThrownBy(() -> render("rbac: {gitManagedResources: [{apiGroup: '', resources: [configmaps, secrets]}]}\n"))
                .hasMessageContaining("secrets cannot be applied from Git");
    }

    // ---------------------------------------------------------------- default values

    @Test
    void defaultsRunTwoReplicasWithLeaderElectionThroughALease() {
        RenderedChart chart = render("");
        Deployment deployment = chart.deployment();

        assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
        assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("RollingUpdate");
        assertThat(deployment.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
        assertThat(chart.properties()).contains(
                entry("sluice.leader-election.enabled", "true"),
                entry("sluice.leader-election.lease-name", "sluice-leader"),
                entry("sluice.leader-election.lease-namespace", NAMESPACE),
                entry("sluice.leader-election.lease-duration", "15s"),
                entry("sluice.leader-election.renew-deadline", "10s"),
                entry("sluice.leader-election.retry-period", "2s"));
        Container operator = operator(deployment);
        assertThat(fieldRef(operator, "POD_NAME")).isEqualTo("metadata.name");
        assertThat(fieldRef(operator, "POD_NAMESPACE")).isEqualTo("metadata.namespace");
        assertThat(env(operator, "QUARKUS_CONFIG_LOCATIONS")).isEqualTo("/etc/sluice/application.properties");
        assertThat(mount(operator, "/etc/sluice").getName()).isEqualTo("config");

        PodDisruptionBudget pdb = chart.get(PodDisruptionBudget.class, RELEASE);
        assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
        assertThat(pdb.getSpec().getSelector().getMatchLabels())
                .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
        assertThat(deployment.getSpec().getTemplate().getSpec().getTopologySpreadConstraints())
                .singleElement().satisfies(c -> assertThat(c.getTopologyKey()).isEqualTo("kubernetes.io/hostname"));
    }

    @Test
    void defaultsGrantExactlyWhatTheOperatorDoesClusterWide() {
        RenderedChart chart = render("");

        ClusterRole role = chart.get(ClusterRole.class, RELEASE);
        Map<String, Set<String>> expected = new TreeMap<>(NAMESPACED_GRANTS);
        expected.put("sluice.io/clusteranalysistemplates", verbs("get"));
        assertThat(grants(role.getRules())).isEqualTo(expected);
        ClusterRoleBinding binding = chart.get(ClusterRoleBinding.class, RELEASE);
        assertThat(binding.getRoleRef().getName()).isEqualTo(RELEASE);
        assertBoundToOperator(binding.getSubjects());
        assertThat(chart.all(ClusterRole.class)).hasSize(1);
        assertThat(chart.get(ServiceAccount.class, RELEASE).getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(chart.deployment().getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo(RELEASE);

        assertLeaseOnlyInTheReleaseNamespace(chart, "sluice-leader");
        assertNoWildcardAndReadOnlySecrets(chart);
    }

    @Test
    void podFollowsTheRestrictedPodSecurityProfile() {
        Deployment deployment = render("").deployment();
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        Container operator = operator(deployment);

        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(1000L);
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        var container = operator.getSecurityContext();
        assertThat(container.getAllowPrivilegeEscalation()).isFalse();
        assertThat(container.getReadOnlyRootFilesystem()).isTrue();
        assertThat(container.getRunAsNonRoot()).isTrue();
        assertThat(container.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(container.getCapabilities().getAdd()).isNullOrEmpty();
        assertThat(container.getPrivileged()).isNull();

        // Writable: /tmp and the Git cache, both emptyDirs with a size limit; the config is read-only.
        Map<String, Volume> volumes = new TreeMap<>();
        pod.getVolumes().forEach(v -> volumes.put(v.getName(), v));
        List<String> writable = operator.getVolumeMounts().stream().filter(m -> !Boolean.TRUE.equals(m.getReadOnly()))
                .map(VolumeMount::getMountPath).toList();
        assertThat(writable).containsExactlyInAnyOrder("/tmp", "/var/cache/sluice/git");
        assertThat(volumes.get(mount(operator, "/tmp").getName()).getEmptyDir().getSizeLimit().toString()).isEqualTo("256Mi");
        assertThat(volumes.get(mount(operator, "/var/cache/sluice/git").getName()).getEmptyDir().getSizeLimit().toString())
                .isEqualTo("2Gi");
        assertThat(pod.getVolumes()).allMatch(v -> v.getHostPath() == null);
        assertThat(pod.getHostNetwork()).isNull();
        assertThat(pod.getEnableServiceLinks()).isFalse();

        // Resources, and a heap sized from the memory limit.
        assertThat(operator.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(operator.getResources().getLimits()).containsKeys("cpu", "memory");
        assertThat(env(operator, "JAVA_TOOL_OPTIONS")).contains("-XX:MaxRAMPercentage=70");
        // Probes on the health endpoints (quarkus-smallrye-health; ProbeEndpointsMockTest checks they answer).
        assertThat(operator.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
        assertThat(operator.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
        assertThat(operator.getStartupProbe().getHttpGet().getPath()).isEqualTo("/q/health/started");
        assertThat(operator.getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("http");
            assertThat(p.getContainerPort()).isEqualTo(8080);
        });
    }

    @Test
    void defaultConfigurationPointsGitAtItsCacheAndHasNoSecret() {
        RenderedChart chart = render("");

        assertThat(chart.properties()).contains(
                entry("sluice.git.cache-dir", "/var/cache/sluice/git"),
                entry("sluice.git.min-fetch-interval", "10s"),
                entry("sluice.git.mirror-idle-timeout", "1h"),
                entry("sluice.git.timeout", "30s"),
                entry("sluice.notifications.attempts", "4"),
                entry("sluice.notifications.retry-backoff", "1s"));
        assertThat(chart.properties().stringPropertyNames())
                .noneMatch(k -> k.startsWith("sluice.webhook") || k.startsWith("sluice.prometheus")
                        || k.startsWith("quarkus.operator-sdk.controllers"));
        assertThat(chart.objects).noneMatch(o -> o.getKind().equals("Secret"));
        assertThat(chart.generic("ServiceMonitor")).isEmpty();
        Service service = chart.get(Service.class, RELEASE);
        assertThat(service.getSpec().getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("http");
            assertThat(p.getTargetPort().getStrVal()).isEqualTo("http");
        });
    }

    // ---------------------------------------------------------------- namespaced mode

    @Test
    void namespacedModeGrantsARolePerWatchedNamespaceAndNoClusterWideWrite() {
        RenderedChart chart = render("watchNamespaces: [shop, payments]\n");

        List<Role> roles = chart.all(Role.class, r -> r.getMetadata().getName().equals(RELEASE));
        assertThat(roles).extracting(r -> r.getMetadata().getNamespace()).containsExactlyInAnyOrder("shop", "payments");
        for (Role role : roles) {
            assertThat(grants(role.getRules())).as("Role in %s", role.getMetadata().getNamespace())
                    .isEqualTo(NAMESPACED_GRANTS);
        }
        List<RoleBinding> bindings = chart.all(RoleBinding.class, b -> b.getMetadata().getName().equals(RELEASE));
        assertThat(bindings).extracting(b -> b.getMetadata().getNamespace()).containsExactlyInAnyOrder("shop", "payments");
        for (RoleBinding binding : bindings) {
            assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
            assertThat(binding.getRoleRef().getName()).isEqualTo(RELEASE);
            assertBoundToOperator(binding.getSubjects());
        }

        // What stays cluster-wide: reading ClusterAnalysisTemplates, nothing else.
        assertThat(chart.all(ClusterRole.class)).singleElement().satisfies(role -> {
            assertThat(grants(role.getRules())).isEqualTo(Map.of("sluice.io/clusteranalysistemplates", verbs("get")));
            assertThat(role.getRules()).allSatisfy(r -> assertThat(READ_VERBS).containsAll(r.getVerbs()));
        });
        assertThat(chart.all(ClusterRoleBinding.class)).singleElement()
                .satisfies(b -> assertBoundToOperator(b.getSubjects()));

        assertThat(chart.properties()).contains(
                entry("quarkus.operator-sdk.controllers.rollout.namespaces", "shop,payments"),
                entry("quarkus.operator-sdk.controllers.analysisrun.namespaces", "shop,payments"));
        assertLeaseOnlyInTheReleaseNamespace(chart, "sluice-leader");
        assertNoWildcardAndReadOnlySecrets(chart);
    }

    @Test
    void watchedNamespacesAreSetForEveryControllerOfTheOperator() {
        // The chart names the controllers: a renamed @ControllerConfiguration must show up here.
        Set<String> controllers = Set.of(
                RolloutReconciler.class.getAnnotation(ControllerConfiguration.class).name(),
                AnalysisRunReconciler.class.getAnnotation(ControllerConfiguration.class).name());
        Set<String> configured = new java.util.TreeSet<>();
        render("watchNamespaces: [shop]\n").properties().stringPropertyNames().stream()
                .filter(k -> k.startsWith("quarkus.operator-sdk.controllers.") && k.endsWith(".namespaces"))
                .forEach(k -> configured.add(k.split("\\.")[3]));

        assertThat(configured).isEqualTo(controllers);
    }

    // ---------------------------------------------------------------- HA on / off

    @Test
    void haOffRunsOneReplicaWithoutLeaseOrDisruptionBudget() {
        RenderedChart chart = render("replicaCount: 1\nleaderElection: {enabled: false}\n");
        Deployment deployment = chart.deployment();

        assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
        assertThat(deployment.getSpec().getStrategy().getType())
                .as("two operators must not overlap during an upgrade").isEqualTo("Recreate");
        assertThat(chart.properties()).contains(entry("sluice.leader-election.enabled", "false"));
        assertThat(chart.properties().stringPropertyNames())
                .filteredOn(k -> k.startsWith("sluice.leader-election.")).containsExactly("sluice.leader-election.enabled");
        assertThat(chart.all(PodDisruptionBudget.class)).isEmpty();
        assertThat(chart.all(Role.class)).isEmpty();
        assertThat(chart.objects).noneMatch(o -> chartRules(o).stream()
                .anyMatch(r -> r.getResources().contains("leases")));
        assertThat(deployment.getSpec().getTemplate().getSpec().getTopologySpreadConstraints()).isNullOrEmpty();
    }

    @Test
    void haOnPassesTheLeaseSettings() {
        RenderedChart chart = render("""
                replicaCount: 3
                leaderElection:
                  enabled: true
                  leaseName: sluice-primary
                  leaseDuration: 30s
                  renewDeadline: 20s
                  retryPeriod: 5s
                """);

        assertThat(chart.deployment().getSpec().getReplicas()).isEqualTo(3);
        assertThat(chart.properties()).contains(
                entry("sluice.leader-election.enabled", "true"),
                entry("sluice.leader-election.lease-name", "sluice-primary"),
                entry("sluice.leader-election.lease-namespace", NAMESPACE),
                entry("sluice.leader-election.lease-duration", "30s"),
                entry("sluice.leader-election.renew-deadline", "20s"),
                entry("sluice.leader-election.retry-period", "5s"));
        assertLeaseOnlyInTheReleaseNamespace(chart, "sluice-primary");
        assertThat(chart.get(PodDisruptionBudget.class, RELEASE).getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
    }

    // ---------------------------------------------------------------- metrics

    @Test
    void serviceMonitorScrapesTheMetricsEndpointOfTheService() {
        RenderedChart chart = render("metrics: {serviceMonitor: {enabled: true, interval: 15s, labels: {release: prom}}}\n");

        GenericKubernetesResource monitor = chart.generic("ServiceMonitor").getFirst();
        assertThat(monitor.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "prom");
        Map<String, Object> spec = monitor.get("spec");
        assertThat(monitor.<Map<String, String>>get("spec", "selector", "matchLabels"))
                .isEqualTo(chart.get(Service.class, RELEASE).getSpec().getSelector());
        assertThat((List<?>) spec.get("endpoints")).singleElement()
                .isEqualTo(Map.of("port", "http", "path", "/q/metrics", "interval", "15s"));
    }

    // ---------------------------------------------------------------- Prometheus, webhook, notifications

    @Test
    void prometheusProviderWithBearerTokenSecretAndCaConfigMap() {
        RenderedChart chart = render("""
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
                """);

        assertThat(chart.properties()).contains(
                entry("sluice.prometheus.\"default\".address", "http://prometheus-operated.monitoring.svc:9090"),
                entry("sluice.prometheus.\"thanos\".address", "https://thanos.example.com/prometheus"),
                entry("sluice.prometheus.\"thanos\".timeout", "5s"),
                entry("sluice.prometheus.\"thanos\".bearer-token-secret", "thanos-token"),
                entry("sluice.prometheus.\"thanos\".ca-file", "/etc/sluice/prometheus-ca/thanos/ca.crt"),
                entry("sluice.prometheus.\"basic\".basic-auth-secret", "prom-basic"));
        Container operator = operator(chart.deployment());
        VolumeMount ca = mount(operator, "/etc/sluice/prometheus-ca/thanos");
        assertThat(ca.getReadOnly()).isTrue();
        Volume caVolume = chart.deployment().getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getName().equals(ca.getName())).findFirst().orElseThrow();
        assertThat(caVolume.getConfigMap().getName()).isEqualTo("thanos-ca");

        // The operator may read exactly these two Secrets in its own namespace.
        Role own = chart.get(Role.class, RELEASE + "-own-namespace");
        assertThat(own.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(own.getRules()).filteredOn(r -> r.getResources().contains("secrets")).singleElement().satisfies(r -> {
            assertThat(r.getVerbs()).containsExactly("get");
            assertThat(r.getResourceNames()).containsExactly("prom-basic", "thanos-token");
        });
        assertNoWildcardAndReadOnlySecrets(chart);
    }

    @Test
    void webhookSecretComesFromTheExistingSecretNeverFromTheConfigMap() {
        RenderedChart chart = render("webhook: {enabled: true, existingSecret: git-webhook, secretKey: hmac}\n");

        EnvVar secret = operator(chart.deployment()).getEnv().stream()
                .filter(e -> e.getName().equals("SLUICE_WEBHOOK_SECRET")).findFirst().orElseThrow();
        assertThat(secret.getValue()).isNull();
        assertThat(secret.getValueFrom().getSecretKeyRef().getName()).isEqualTo("git-webhook");
        assertThat(secret.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("hmac");
        assertThat(chart.properties().stringPropertyNames()).noneMatch(k -> k.startsWith("sluice.webhook"));
        assertThat(chart.propertiesText()).doesNotContain("git-webhook").doesNotContain("hmac");
        assertThat(chart.objects).noneMatch(o -> o.getKind().equals("Secret"));
    }

    @Test
    void notificationTargetsReadTheirUrlFromASecret() {
        RenderedChart chart = render("""
                notifications:
                  attempts: 6
                  retryBackoff: 2s
                  targets:
                    team-chat:
                      type: slack
                      urlSecret: {name: sluice-notifications, key: slack-url}
                      events: [Promoted, RolledBack]
                """);

        assertThat(chart.properties()).contains(
                entry("sluice.notifications.attempts", "6"),
                entry("sluice.notifications.retry-backoff", "2s"),
                entry("sluice.notifications.targets.\"team-chat\".type", "slack"),
                entry("sluice.notifications.targets.\"team-chat\".url", "${NOTIFICATION_URL_TEAM_CHAT}"),
                entry("sluice.notifications.targets.\"team-chat\".on", "Promoted,RolledBack"));
        EnvVar url = operator(chart.deployment()).getEnv().stream()
                .filter(e -> e.getName().equals("NOTIFICATION_URL_TEAM_CHAT")).findFirst().orElseThrow();
        assertThat(url.getValueFrom().getSecretKeyRef().getName()).isEqualTo("sluice-notifications");
        assertThat(url.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("slack-url");
    }

    @Test
    void anExistingServiceAccountAndOwnRbacCanBeUsed() {
        RenderedChart chart = render("serviceAccount: {create: false, name: platform-sluice}\nrbac: {create: false}\n");

        assertThat(chart.deployment().getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("platform-sluice");
        assertThat(chart.all(ServiceAccount.class)).isEmpty();
        assertThat(chart.objects).noneMatch(o -> o.getApiVersion().startsWith("rbac.authorization.k8s.io/"));
    }

    @Test
    void configChangesRollThePods() {
        String before = render("").deployment().getSpec().getTemplate().getMetadata().getAnnotations().get("checksum/config");
        String after = render("git: {timeout: 45s}\n").deployment().getSpec().getTemplate().getMetadata().getAnnotations()
                .get("checksum/config");

        assertThat(before).isNotBlank().isNotEqualTo(after);
    }

    @Test
    void notesSayWhatWasInstalled() throws IOException {
        String notes = notes(RenderedChart.TEST_IMAGE
                + "watchNamespaces: [shop, payments]\nwebhook: {enabled: true, existingSecret: git-webhook}\n");

        assertThat(notes)
                .contains("2 replica(s) of registry.example.com/sluice:0.1.0")
                .contains("No Sluice image is published yet: registry.example.com/sluice:0.1.0 must be one you built")
                .contains("Lease sluice-system/sluice-leader")
                .contains("CRDs:       the four sluice.io CRDs, installed and upgraded with this release; helm uninstall leaves them")
                .contains("Watching:   shop, payments")
                .contains("no provider configured")
                .contains("http://sluice.sluice-system.svc:8080/q/metrics")
                .contains("http://sluice.sluice-system.svc:8080/webhooks/git");
        assertThat(notes(RenderedChart.TEST_IMAGE + "crds: {install: false}\n"))
                .contains("CRDs:       not managed by this release (crds.install is false)");
    }

    /** The NOTES of a client-only dry-run install with these values. */
    private static String notes(String valuesYaml) throws IOException {
        Path values = Files.createTempFile("sluice-values", ".yaml");
        try {
            Files.writeString(values, valuesYaml);
            return new Helm(RenderedChart.chartDir()).install().withName(RELEASE).withNamespace(NAMESPACE)
                    .withKubeVersion(RenderedChart.KUBE_VERSION).clientOnly().withDryRunOption(DryRun.CLIENT)
                    .withValuesFile(values).call().getOutput();
        } finally {
            Files.deleteIfExists(values);
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Secrets are read by name only, and no rule anywhere uses a wildcard. */
    private static void assertNoWildcardAndReadOnlySecrets(RenderedChart chart) {
        List<PolicyRule> rules = chart.objects.stream().flatMap(o -> chartRules(o).stream()).toList();
        assertThat(rules).isNotEmpty();
        for (PolicyRule rule : rules) {
            assertThat(Stream.of(rule.getVerbs(), rule.getResources(), rule.getApiGroups(),
                    rule.getResourceNames() == null ? List.<String>of() : rule.getResourceNames()).flatMap(List::stream))
                    .as("rule %s", rule).noneMatch(s -> s.contains("*"));
            assertThat(rule.getNonResourceURLs()).isNullOrEmpty();
            if (rule.getApiGroups().contains("") && rule.getResources().contains("secrets")) {
                assertThat(Set.of("get", "list", "watch")).as("verbs on Secrets").containsAll(rule.getVerbs());
            }
        }
    }

    /** Leases only in the Role of the release namespace: create, and get/update of the one Lease. */
    private static void assertLeaseOnlyInTheReleaseNamespace(RenderedChart chart, String leaseName) {
        List<HasMetadata> withLeases = chart.objects.stream()
                .filter(o -> chartRules(o).stream().anyMatch(r -> r.getResources().contains("leases"))).toList();
        assertThat(withLeases).singleElement().satisfies(o -> {
            assertThat(o).isInstanceOf(Role.class);
            assertThat(o.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        });
        List<PolicyRule> leaseRules = chartRules(withLeases.getFirst()).stream()
                .filter(r -> r.getResources().contains("leases")).toList();
        assertThat(leaseRules).allSatisfy(r -> {
            assertThat(r.getApiGroups()).containsExactly("coordination.k8s.io");
            assertThat(r.getResources()).containsExactly("leases");
        });
        assertThat(grants(leaseRules)).isEqualTo(Map.of("coordination.k8s.io/leases", verbs("get", "create", "update")));
        assertThat(leaseRules).filteredOn(r -> !r.getVerbs().equals(List.of("create")))
                .allSatisfy(r -> assertThat(r.getResourceNames()).containsExactly(leaseName));
        RoleBinding binding = chart.get(RoleBinding.class, withLeases.getFirst().getMetadata().getName());
        assertThat(binding.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertBoundToOperator(binding.getSubjects());
    }

    private static void assertBoundToOperator(List<Subject> subjects) {
        assertThat(subjects).singleElement().satisfies(s -> {
            assertThat(s.getKind()).isEqualTo("ServiceAccount");
            assertThat(s.getName()).isEqualTo(RELEASE);
            assertThat(s.getNamespace()).isEqualTo(NAMESPACE);
        });
    }

    private static List<PolicyRule> chartRules(HasMetadata o) {
        if (o instanceof Role r) {
            return r.getRules();
        }
        if (o instanceof ClusterRole r) {
            return r.getRules();
        }
        return List.of();
    }

    private static Container operator(Deployment deployment) {
        return deployment.getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> c.getName().equals("operator")).findFirst().orElseThrow();
    }

    private static String env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .map(EnvVar::getValue).orElseThrow(() -> new AssertionError("no env " + name));
    }

    private static String fieldRef(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .map(e -> e.getValueFrom().getFieldRef().getFieldPath()).orElseThrow(() -> new AssertionError("no env " + name));
    }

    private static VolumeMount mount(Container c, String path) {
        return c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(path)).findFirst()
                .orElseThrow(() -> new AssertionError("nothing mounted at " + path));
    }

    private static String chartVersion() throws IOException {
        return Files.readAllLines(RenderedChart.chartDir().resolve("Chart.yaml")).stream()
                .filter(l -> l.startsWith("version:")).map(l -> l.substring("version:".length()).strip())
                .findFirst().orElseThrow();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path source : paths.toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
    }

    private static Map<String, String> readYamlFiles(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
                out.put(f.getFileName().toString(), Files.readString(f));
            }
        }
        return out;
    }
}
