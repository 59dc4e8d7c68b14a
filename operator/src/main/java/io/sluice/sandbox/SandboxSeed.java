package io.sluice.sandbox;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.api.v1alpha1.AnalysisTemplate;
import io.sluice.api.v1alpha1.Rollout;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fills a fresh sandbox with the example from {@code examples/checkout}: its app manifests are
 * committed to a local Git repository (the example's https URL would not be reachable), then the
 * AnalysisTemplate and the Rollout, pointed at that repository, are created.
 */
public final class SandboxSeed {
    private SandboxSeed() {
    }

    /** What was seeded. */
    public record Seeded(Rollout rollout, String gitUrl, String revision) {
    }

    public static Seeded seed(KubernetesClient client, Path exampleDir, Path workDir) throws IOException {
        Path repoDir = workDir.resolve("deploy.git");
        String revision = commitManifests(exampleDir.resolve("app"), repoDir, "apps/checkout");
        String url = repoDir.toUri().toString();

        AnalysisTemplate template = load(client, exampleDir.resolve("analysis-template.yaml"), AnalysisTemplate.class);
        Rollout rollout = load(client, exampleDir.resolve("rollout.yaml"), Rollout.class);
        rollout.getSpec().source.git.url = url;
        rollout.getSpec().source.git.secretRef = null; // a local repository needs no credentials
        client.resource(template).create();
        return new Seeded(client.resource(rollout).create(), url, revision);
    }

    private static <T extends HasMetadata> T load(KubernetesClient client, Path file, Class<T> type) throws IOException {
        return client.getKubernetesSerialization().unmarshal(Files.readString(file), type);
    }

    private static String commitManifests(Path manifests, Path repoDir, String pathInRepo) throws IOException {
        Path work = Files.createTempDirectory(repoDir.getParent(), "work");
        try (Git git = Git.init().setInitialBranch("main").setDirectory(work.toFile()).call()) {
            Path target = work.resolve(pathInRepo);
            Files.createDirectories(target);
            try (var files = Files.list(manifests)) {
                for (Path f : files.toList()) {
                    Files.copy(f, target.resolve(f.getFileName()));
                }
            }
            git.add().addFilepattern(".").call();
            String revision = git.commit().setMessage("checkout 1.4.0").setAuthor("Sluice sandbox", "sandbox@sluice.io")
                    .setCommitter("Sluice sandbox", "sandbox@sluice.io").setSign(false).call().getName();
            Git.cloneRepository().setBare(true).setURI(work.toUri().toString()).setDirectory(repoDir.toFile()).call().close();
            return revision;
        } catch (GitAPIException e) {
            throw new IOException("cannot create the sandbox Git repository: " + e.getMessage(), e);
        }
    }
}
