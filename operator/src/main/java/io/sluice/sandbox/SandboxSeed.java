package io.sluice.sandbox;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.api.v1alpha1.AnalysisTemplate;
import io.sluice.api.v1alpha1.Rollout;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.transport.RefSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fills a fresh sandbox with an example such as {@code examples/checkout}: its app manifests are
 * committed to a local Git repository (the example's https URL would not be reachable), then the
 * AnalysisTemplate and the Rollout, pointed at that repository, are created.
 */
public final class SandboxSeed {
    private SandboxSeed() {
    }

    /**
     * What was seeded: the Rollout, the URL of the bare repository it reads, the first commit, and a
     * work tree cloned from that repository (its {@code origin}) in which further releases can be
     * committed and pushed.
     */
    public record Seeded(Rollout rollout, String gitUrl, String revision, Path workTree) {
    }

    /** Seeds {@code exampleDir}'s {@code app/}, {@code analysis-template.yaml} and {@code rollout.yaml}. */
    public static Seeded seed(KubernetesClient client, Path exampleDir, Path workDir) throws IOException {
        return seed(client, exampleDir.resolve("app"), exampleDir.resolve("analysis-template.yaml"),
                exampleDir.resolve("rollout.yaml"), workDir);
    }

    /**
     * Commits the manifests of {@code appDir} under {@code apps/checkout} of a new repository in
     * {@code workDir}, then creates the AnalysisTemplate and the Rollout (pointed at that repository).
     */
    public static Seeded seed(KubernetesClient client, Path appDir, Path templateFile, Path rolloutFile, Path workDir)
            throws IOException {
        Path repoDir = workDir.resolve("deploy.git");
        Path workTree = workDir.resolve("deploy");
        String revision = commitManifests(appDir, repoDir, workTree, "apps/checkout");
        String url = repoDir.toUri().toString();

        AnalysisTemplate template = load(client, templateFile, AnalysisTemplate.class);
        Rollout rollout = load(client, rolloutFile, Rollout.class);
        rollout.getSpec().source.git.url = url;
        rollout.getSpec().source.git.secretRef = null; // a local repository needs no credentials
        client.resource(template).create();
        return new Seeded(client.resource(rollout).create(), url, revision, workTree);
    }

    private static <T extends HasMetadata> T load(KubernetesClient client, Path file, Class<T> type) throws IOException {
        return client.getKubernetesSerialization().unmarshal(Files.readString(file), type);
    }

    private static String commitManifests(Path manifests, Path repoDir, Path workTree, String pathInRepo)
            throws IOException {
        try {
            Git.init().setBare(true).setInitialBranch("main").setDirectory(repoDir.toFile()).call().close();
            try (Git git = Git.cloneRepository().setURI(repoDir.toUri().toString()).setDirectory(workTree.toFile())
                    .call()) {
                // The clone of an empty repository has no branch yet: make it main, tracking origin's.
                git.getRepository().getRefDatabase().newUpdate(Constants.HEAD, false).link("refs/heads/main");
                StoredConfig config = git.getRepository().getConfig();
                config.setString("branch", "main", "remote", "origin");
                config.setString("branch", "main", "merge", "refs/heads/main");
                config.save();
                Path target = workTree.resolve(pathInRepo);
                Files.createDirectories(target);
                try (var files = Files.list(manifests)) {
                    for (Path f : files.filter(Files::isRegularFile).toList()) {
                        Files.copy(f, target.resolve(f.getFileName()));
                    }
                }
                git.add().addFilepattern(".").call();
                String revision = git.commit().setMessage("checkout 1.4.0")
                        .setAuthor("Sluice sandbox", "sandbox@sluice.io")
                        .setCommitter("Sluice sandbox", "sandbox@sluice.io").setSign(false).call().getName();
                git.push().setRemote("origin").setRefSpecs(new RefSpec("refs/heads/main:refs/heads/main")).call();
                return revision;
            }
        } catch (GitAPIException e) {
            throw new IOException("cannot create the sandbox Git repository: " + e.getMessage(), e);
        }
    }
}
