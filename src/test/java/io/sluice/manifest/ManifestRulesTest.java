package io.sluice.manifest;

import io.smallrye.config.WithDefault;
import io.sluice.config.SluiceConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class ManifestRulesTest {

    @Test
    void theDefaultAllowListIsTheConfigurationsDefault() throws NoSuchMethodException {
        String configured = SluiceConfig.Manifests.class.getMethod("allowedKinds").getAnnotation(WithDefault.class).value();

        assertThat(Arrays.asList(configured.split(","))).containsExactlyElementsOf(ManifestRules.DEFAULT_ALLOWED_KINDS);
    }

    @Test
    void theExampleAppPassesTheDefaultAllowList() throws IOException, InvalidManifestException {
        Map<String, String> files = new TreeMap<>();
        Path app = Path.of("examples/checkout/app");
        try (Stream<Path> yaml = Files.list(app)) {
            for (Path file : yaml.filter(f -> f.toString().endsWith(".yaml")).toList()) {
                files.put(file.getFileName().toString(), Files.readString(file));
            }
        }
        assertThat(files).isNotEmpty();

        assertThat(ManifestRules.violations(ManifestSet.parse(files), "shop", ManifestRules.DEFAULT_ALLOWED_KINDS)).isEmpty();
    }

    @Test
    void aKindOutsideTheListNamesFileKindAndKey() throws InvalidManifestException {
        ManifestSet manifests = ManifestSet.parse(Map.of(
                "hpa.yaml", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: checkout}\n",
                "ingress.yaml", "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: checkout}\n",
                "job.yaml", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate}\n"));

        assertThat(ManifestRules.violations(manifests, "shop", ManifestRules.DEFAULT_ALLOWED_KINDS))
                .hasSize(2)
                .anySatisfy(p -> assertThat(p).startsWith("ingress.yaml: Ingress checkout: kind Ingress.networking.k8s.io is not "
                        + "among the kinds a Rollout may apply (sluice.manifests.allowed-kinds: "))
                .anySatisfy(p -> assertThat(p).startsWith("job.yaml: Job migrate: kind Job.batch is not among"));
        assertThat(ManifestRules.violations(manifests, "shop", List.of("*"))).isEmpty();
    }

    @Test
    void rbacIsRefusedEvenWhenListedAndClusterScopedKindsStayRefused() throws InvalidManifestException {
        ManifestSet manifests = ManifestSet.parse(Map.of(
                "rb.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b}\n"
                        + "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}\n",
                "ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n"));

        assertThat(ManifestRules.violations(manifests, "shop", List.of("*", "RoleBinding.rbac.authorization.k8s.io", "Namespace")))
                .containsExactlyInAnyOrder(
                        "rb.yaml: RoleBinding b: RBAC objects (RoleBinding.rbac.authorization.k8s.io) are never applied by a "
                                + "Rollout: permissions are granted by the cluster's administrators, not from Git (sluice.manifests.allowed-kinds "
                                + "cannot allow them)",
                        "ns.yaml: Namespace other: cluster-scoped objects are not applied by a Rollout");
    }
}
