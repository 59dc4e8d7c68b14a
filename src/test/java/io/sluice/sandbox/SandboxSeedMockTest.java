package io.sluice.sandbox;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.api.v1alpha1.AnalysisTemplate;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.source.GitRequest;
import io.sluice.source.GitSnapshot;
import io.sluice.source.jgit.JGitSource;
import io.sluice.testing.kube.MockKubeApi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** What `./sluice run` puts into the sandbox: the example, readable from a local Git repository. */
class SandboxSeedMockTest {
    @RegisterExtension
    static final MockKubeApi API = MockKubeApi.start();

    @TempDir
    Path work;

    @Test
    void seedsTheExampleRolloutPointingAtALocalRepositoryWithItsManifests() throws Exception {
        Path examples = Path.of(System.getProperty("sluice.project.dir", ".")).resolve("examples/checkout");

        SandboxSeed.Seeded seeded = SandboxSeed.seed(API.client(), examples, work);

        Rollout rollout = API.client().resources(Rollout.class).inNamespace("shop").withName("checkout").get();
        assertThat(rollout.getSpec().source.git.url).isEqualTo(seeded.gitUrl()).startsWith("file:");
        assertThat(rollout.getSpec().source.git.secretRef).isNull();
        assertThat(API.client().resources(AnalysisTemplate.class).inNamespace("shop").withName("http-slo").get()).isNotNull();

        GitSnapshot snapshot = new JGitSource(new JGitSource.Settings(work.resolve("cache"), Duration.ofSeconds(10), Duration.ZERO,
                Duration.ofHours(1)), Clock.systemUTC(), new SimpleMeterRegistry())
                .read(new GitRequest(seeded.gitUrl(), "main", "apps/checkout", Optional.empty()));
        assertThat(snapshot.revision()).isEqualTo(seeded.revision());
        assertThat(snapshot.files()).containsOnlyKeys("deployment.yaml", "service.yaml", "virtualservice.yaml");
        // a work tree on branch main, cloned from the repository, for later releases
        assertThat(seeded.workTree().resolve("apps/checkout/deployment.yaml")).exists();
        assertThat(seeded.workTree().resolve(".git/HEAD")).content().contains("refs/heads/main");
    }
}
