package io.sluice.source.jgit;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.source.GitRequest;
import io.sluice.testing.git.GitRepoFixture;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A mirror fetches only what a Rollout reads: the one branch or tag it names, and only its latest
 * commit, not every branch and tag of the repository with their whole history.
 */
class MirrorFetchBoundsTest {
    private static final String CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {v: \"%s\"}\n";

    @TempDir
    Path cache;

    @Test
    void aBranchIsFetchedAloneAndOnlyItsLatestCommit() throws Exception {
        try (GitRepoFixture repo = GitRepoFixture.create()) {
            String first = repo.commit("v1", Map.of("apps/a/cm.yaml", CM.formatted("1")));
            repo.commit("v2", Map.of("apps/a/cm.yaml", CM.formatted("2")));
            String head = repo.commit("v3", Map.of("apps/a/cm.yaml", CM.formatted("3")));
            // Another team's branch, which the Rollout does not read.
            try (Repository origin = FileRepositoryBuilder.create(repo.directory().toFile())) {
                RefUpdate other = origin.updateRef("refs/heads/someone-elses");
                other.setNewObjectId(ObjectId.fromString(first));
                other.update();
            }
            JGitSource source = new JGitSource(new JGitSource.Settings(cache, Duration.ofSeconds(10), Duration.ZERO,
                    Duration.ofHours(1)), Clock.systemUTC(), new SimpleMeterRegistry());

            assertThat(source.read(new GitRequest(repo.fileUrl(), "main", "apps/a", Optional.empty())).revision()).isEqualTo(head);

            Path mirror = onlyMirror();
            try (Repository local = FileRepositoryBuilder.create(mirror.toFile())) {
                assertThat(local.getRefDatabase().getRefs()).extracting(r -> r.getName()).containsExactly("refs/heads/main");
                assertThat(local.getObjectDatabase().has(ObjectId.fromString(head))).isTrue();
                assertThat(local.getObjectDatabase().has(ObjectId.fromString(first)))
                        .as("history before the latest commit is not fetched").isFalse();
            }

            // A tag and a commit id still read, each fetching what it needs.
            repo.tag("v3");
            assertThat(source.read(new GitRequest(repo.fileUrl(), "v3", "apps/a", Optional.empty())).resolvedRef())
                    .isEqualTo("refs/tags/v3");
            assertThat(source.read(new GitRequest(repo.fileUrl(), first, "apps/a", Optional.empty())).files().get("cm.yaml"))
                    .contains("\"1\"");
            assertThat(source.read(new GitRequest(repo.fileUrl(), "main", "apps/a", Optional.empty())).revision()).isEqualTo(head);
        }
    }

    private Path onlyMirror() throws Exception {
        try (Stream<Path> dirs = Files.list(cache)) {
            return dirs.filter(d -> Files.isDirectory(d.resolve("objects"))).findFirst().orElseThrow();
        }
    }
}
