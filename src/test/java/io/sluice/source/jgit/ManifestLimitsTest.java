package io.sluice.source.jgit;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.source.GitRequest;
import io.sluice.source.SourceException;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A revision's folder is bounded in files and in total bytes before anything is read: a 2 KB
 * repository whose tree names one 1 MiB blob 256 times would otherwise become 256 MiB of text in
 * the heap (and the standby would crash on the same Rollout next).
 */
class ManifestLimitsTest {
    @TempDir
    Path dir;

    @Test
    void aFolderNamingOneLargeBlob256TimesIsManifestTooLargeBeforeItIsRead() throws Exception {
        byte[] blob = new byte[1024 * 1024];
        Arrays.fill(blob, (byte) '#'); // a YAML comment, 1 MiB: at the per-file limit, not over it
        String url = repository(blob, 256);
        JGitSource source = new JGitSource(new JGitSource.Settings(dir.resolve("cache"), Duration.ofSeconds(10),
                Duration.ZERO, Duration.ofHours(1)), Clock.systemUTC(), new SimpleMeterRegistry());

        long before = usedHeap();
        assertThatThrownBy(() -> source.read(new GitRequest(url, "main", "apps/big", Optional.empty())))
                .isInstanceOfSatisfying(SourceException.class, e -> {
                    assertThat(e.reason()).isEqualTo("ManifestTooLarge");
                    assertThat(e.getMessage()).contains("apps/big").contains("16777216 bytes");
                });
        System.out.printf("ManifestLimitsTest: heap grew by about %d MiB reading the 256-entry tree%n",
                Math.max(0, usedHeap() - before) / (1024 * 1024));
    }

    @Test
    void moreFilesThanTheLimitIsManifestTooLarge() throws Exception {
        String url = repository("kind: ConfigMap\n".getBytes(StandardCharsets.UTF_8), 11);
        JGitSource source = new JGitSource(new JGitSource.Settings(dir.resolve("cache"), Duration.ofSeconds(10),
                Duration.ZERO, Duration.ofHours(1), new JGitSource.ManifestLimits(10, 1024 * 1024)),
                Clock.systemUTC(), new SimpleMeterRegistry());

        assertThatThrownBy(() -> source.read(new GitRequest(url, "main", "apps/big", Optional.empty())))
                .isInstanceOfSatisfying(SourceException.class, e -> {
                    assertThat(e.reason()).isEqualTo("ManifestTooLarge");
                    assertThat(e.getMessage()).contains("more than 10 YAML files");
                });
        JGitSource roomy = new JGitSource(new JGitSource.Settings(dir.resolve("cache2"), Duration.ofSeconds(10),
                Duration.ZERO, Duration.ofHours(1), new JGitSource.ManifestLimits(11, 1024 * 1024)),
                Clock.systemUTC(), new SimpleMeterRegistry());
        assertThat(roomy.read(new GitRequest(url, "main", "apps/big", Optional.empty())).files()).hasSize(11);
    }

    /** A repository whose apps/big holds {@code copies} entries, all the same blob. */
    private String repository(byte[] content, int copies) throws Exception {
        Path gitDir = dir.resolve("repo.git");
        try (Repository repo = FileRepositoryBuilder.create(gitDir.toFile())) {
            repo.create(true);
            try (ObjectInserter inserter = repo.newObjectInserter()) {
                ObjectId blob = inserter.insert(Constants.OBJ_BLOB, content);
                TreeFormatter big = new TreeFormatter();
                for (int i = 0; i < copies; i++) {
                    big.append("f%03d.yaml".formatted(i), FileMode.REGULAR_FILE, blob);
                }
                TreeFormatter apps = new TreeFormatter();
                apps.append("big", FileMode.TREE, inserter.insert(big));
                TreeFormatter root = new TreeFormatter();
                root.append("apps", FileMode.TREE, inserter.insert(apps));
                CommitBuilder commit = new CommitBuilder();
                commit.setTreeId(inserter.insert(root));
                PersonIdent who = new PersonIdent("test", "test@example.com");
                commit.setAuthor(who);
                commit.setCommitter(who);
                commit.setMessage("amplified");
                ObjectId id = inserter.insert(commit);
                inserter.flush();
                RefUpdate update = repo.updateRef("refs/heads/main");
                update.setNewObjectId(id);
                update.update();
            }
        }
        return "file://" + gitDir.toAbsolutePath();
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }
}
