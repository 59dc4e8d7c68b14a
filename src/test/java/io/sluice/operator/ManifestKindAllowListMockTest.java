package io.sluice.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.api.v1alpha1.Condition;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.core.ConditionTypes;
import io.sluice.core.RolloutFixtures;
import io.sluice.testing.git.GitRepoFixture;
import io.sluice.testing.kube.MockKubeApi;
import io.sluice.testing.time.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 11.4: a Rollout applies only the kinds of the operator's allow-list
 * ({@code sluice.manifests.allowed-kinds}); an RBAC object or a Secret in Git rejects the whole
 * revision, so the chart's RBAC is not the only line of defence.
 */
class ManifestKindAllowListMockTest {
    @RegisterExtension
    static final MockKubeApi API = MockKubeApi.start();

    @TempDir
    Path cache;

    private final KubernetesClient client = API.client();
    private final MutableClock clock = new MutableClock();

    @Test
    void aRoleInGitRejectsTheRevisionWholeAndNothingOfItIsApplied() {
        String namespace = "kinds-rbac";
        try (GitRepoFixture repo = GitRepoFixture.create()) {
            Map<String, String> files = RolloutFixtures.checkoutManifestsInRepo("checkout:1.0");
            files.put("apps/checkout/config.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: checkout-config}\ndata: {a: b}\n");
            files.put("apps/checkout/rbac.yaml", """
                    apiVersion: rbac.authorization.k8s.io/v1
                    kind: Role
                    metadata: {name: read-secrets}
                    rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list]}]
                    ---
                    apiVersion: rbac.authorization.k8s.io/v1
                    kind: RoleBinding
                    metadata: {name: read-secrets}
                    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: read-secrets}
                    subjects: [{kind: ServiceAccount, name: default, namespace: kinds-rbac}]
                    """);
            files.put("apps/checkout/token.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: x}\n");
            repo.commit("v1 with RBAC", files);

            Condition source = reconcile(namespace, repo, new ManualOperator(client, clock, cache));

            assertThat(source.status).isEqualTo("False");
            assertThat(source.reason).isEqualTo("InvalidManifest");
            assertThat(source.message).contains("rbac.yaml: Role read-secrets", "rbac.yaml (document 2): RoleBinding read-secrets",
                    "token.yaml: Secret db", "sluice.manifests.allowed-kinds");
            assertThat(client.rbac().roles().inNamespace(namespace).list().getItems()).as("no Role applied").isEmpty();
            assertThat(client.rbac().roleBindings().inNamespace(namespace).list().getItems()).isEmpty();
            assertThat(client.secrets().inNamespace(namespace).withName("db").get()).isNull();
            assertThat(client.configMaps().inNamespace(namespace).withName("checkout-config").get())
                    .as("nothing of the revision, not even its allowed kinds").isNull();
            assertThat(client.apps().deployments().inNamespace(namespace).list().getItems()).isEmpty();
        }
    }

    @Test
    void aKindTheOperatorAllowsIsAppliedButRbacNeverIs() {
        String namespace = "kinds-allowed";
        try (GitRepoFixture repo = GitRepoFixture.create()) {
            Map<String, String> files = RolloutFixtures.checkoutManifestsInRepo("checkout:1.0");
            files.put("apps/checkout/token.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: x}\n");
            repo.commit("v1 with a Secret", files);
            ManualOperator allowingSecrets = new ManualOperator(client, clock, TestConfig.withAllowedKinds(cache,
                    java.util.List.of("Deployment.apps", "Service", "VirtualService.networking.istio.io", "Secret")));

            Condition source = reconcile(namespace, repo, allowingSecrets);

            assertThat(source.status).as(source.message).isEqualTo("True");
            assertThat(client.secrets().inNamespace(namespace).withName("db").get()).as("Secret allowed by configuration").isNotNull();

            files.put("apps/checkout/rbac.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\nrules: []\n");
            repo.commit("v2 with a Role", files);
            clock.advance(java.time.Duration.ofMinutes(2)); // past the poll interval
            ManualOperator allowingAll = new ManualOperator(client, clock, TestConfig.withAllowedKinds(cache.resolve("all"),
                    java.util.List.of("*")));
            for (int i = 0; i < 3; i++) {
                allowingAll.reconciler.reconcile(client.resources(Rollout.class).inNamespace(namespace).withName("checkout").get(), null);
            }
            Condition rejected = client.resources(Rollout.class).inNamespace(namespace).withName("checkout").get().getStatus()
                    .condition(ConditionTypes.SOURCE_READY).orElseThrow();
            assertThat(rejected.reason).isEqualTo("InvalidManifest");
            assertThat(rejected.message).contains("rbac.yaml: Role r: RBAC objects (Role.rbac.authorization.k8s.io) are never applied");
            assertThat(client.rbac().roles().inNamespace(namespace).list().getItems()).isEmpty();
        }
    }

    /** Creates the checkout Rollout in {@code namespace} and reconciles it a few times; its SourceReady condition. */
    private Condition reconcile(String namespace, GitRepoFixture repo, ManualOperator operator) {
        RolloutFixtures.createAnalysisTemplate(client, namespace);
        Rollout rollout = RolloutFixtures.checkout(repo.fileUrl());
        rollout.getMetadata().setNamespace(namespace);
        rollout.getMetadata().setGeneration(null);
        client.resource(rollout).create();
        for (int i = 0; i < 3; i++) {
            operator.reconciler.reconcile(client.resources(Rollout.class).inNamespace(namespace).withName("checkout").get(), null);
        }
        return client.resources(Rollout.class).inNamespace(namespace).withName("checkout").get().getStatus()
                .condition(ConditionTypes.SOURCE_READY).orElseThrow();
    }
}
