package io.sluice.operator;

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
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** By default a tenant cannot make the operator read repositories from its own disk. */
class FileUrlPolicyMockTest {
    @RegisterExtension
    static final MockKubeApi API = MockKubeApi.start();

    @TempDir
    Path cache;

    @Test
    void localRepositoriesAreRefusedUnlessTheOperatorAllowsThem() {
        try (GitRepoFixture repo = GitRepoFixture.create()) {
            repo.commit("checkout", RolloutFixtures.checkoutManifestsInRepo("checkout:1.0"));
            RolloutFixtures.createAnalysisTemplate(API.client(), "tenant");
            for (String url : new String[]{repo.fileUrl(), repo.directory().toString()}) {
                Rollout rollout = RolloutFixtures.checkout(url);
                rollout.getMetadata().setNamespace("tenant");
                rollout.getMetadata().setName("app-" + Math.abs(url.hashCode()));
                rollout.getMetadata().setGeneration(null);
                if (url.startsWith("file:")) {
                    API.client().resource(rollout).create();
                } else {
                    // the CRD already refuses a bare path (as the sandbox does, like an API server); the operator's
                    // own check is for one that slipped past validation, created here through a lax API server
                    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> API.client().resource(rollout).create()))
                            .hasMessageContaining("url must be an https://");
                    try (var lax = MockKubeApi.laxClient(API.client())) {
                        lax.resource(rollout).create();
                    }
                }
                var strict = new ManualOperator(API.client(), new MutableClock(),
                        TestConfig.of(cache, Duration.ZERO, false));

                strict.reconciler.reconcile(API.client().resource(rollout).get(), null);

                Condition source = API.client().resource(rollout).get().getStatus()
                        .condition(ConditionTypes.SOURCE_READY).orElseThrow();
                assertThat(source.reason).as(url).isEqualTo("UrlNotAllowed");
                assertThat(strict.git.fetchCount(url)).as("nothing read").isZero();
            }
        }
    }
}
