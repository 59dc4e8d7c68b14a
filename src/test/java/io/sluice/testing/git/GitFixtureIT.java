package io.sluice.testing.git;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.revwalk.RevWalk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GitFixtureIT {

    private static final String DEPLOYMENT = "apps/checkout/deployment.yaml";
    private static final String SERVICE = "apps/checkout/service.yaml";
    private static final String DEPLOYMENT_V1 = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: checkout
            spec:
              replicas: 2
            """;
    private static final String DEPLOYMENT_V2 = DEPLOYMENT_V1.replace("replicas: 2", "replicas: 3");
    private static final String SERVICE_V1 = """
            apiVersion: v1
            kind: Service
            metadata:
              name: checkout
            """;

    @RegisterExtension
    static final GitDaemonFixture daemon = GitDaemonFixture.start();

    @RegisterExtension
    final GitRepoFixture repo = GitRepoFixture.createIn(daemon.baseDir(), "config", "main");

    @TempDir
    Path clones;

    @Test
    void cloneOverFileUrlChecksOutTheCommittedFiles() throws Exception {
        String commit = repo.commit("checkout v1", Map.of(DEPLOYMENT, DEPLOYMENT_V1, SERVICE, SERVICE_V1));

        try (Git clone = cloneOf(repo.fileUrl())) {
            assertThat(filesIn(clone)).isEqualTo(Map.of(DEPLOYMENT, DEPLOYMENT_V1, SERVICE, SERVICE_V1));
            assertThat(clone.getRepository().resolve("HEAD").name()).isEqualTo(commit).isEqualTo(repo.head());
            assertThat(clone.getRepository().getBranch()).isEqualTo("main");
        }
    }

    @Test
    void cloneOverGitDaemonChecksOutTheCommittedFiles() throws Exception {
        String commit = repo.commit("checkout v1", Map.of(DEPLOYMENT, DEPLOYMENT_V1, SERVICE, SERVICE_V1));

        assertThat(daemon.url(repo)).isEqualTo("git://127.0.0.1:" + daemon.port() + "/config.git");
        try (Git clone = cloneOf(daemon.url(repo))) {
            assertThat(filesIn(clone)).isEqualTo(Map.of(DEPLOYMENT, DEPLOYMENT_V1, SERVICE, SERVICE_V1));
            assertThat(clone.getRepository().resolve("HEAD").name()).isEqualTo(commit);
        }
    }

    @Test
    void fetchOverGitDaemonSeesTheNextCommit() throws Exception {
        String first = repo.commit("checkout v1", Map.of(DEPLOYMENT, DEPLOYMENT_V1));
        try (Git clone = cloneOf(daemon.url(repo))) {
            String second = repo.commit("checkout v2", Map.of(DEPLOYMENT, DEPLOYMENT_V2));

            clone.fetch().call();

            ObjectId fetched = clone.getRepository().resolve("refs/remotes/origin/main");
            assertThat(fetched.name()).isEqualTo(second);
            try (RevWalk commits = new RevWalk(clone.getRepository())) {
                assertThat(commits.parseCommit(fetched).getParent(0).name()).isEqualTo(first);
            }
            clone.pull().call();
            assertThat(filesIn(clone)).isEqualTo(Map.of(DEPLOYMENT, DEPLOYMENT_V2));
        }
    }

    @Test
    void commitReplacesTheWholeTreeSoFilesLeftOutAreDeleted() throws Exception {
        repo.commit("checkout v1", Map.of(DEPLOYMENT, DEPLOYMENT_V1, SERVICE, SERVICE_V1));
        repo.commit("drop the service", Map.of(DEPLOYMENT, DEPLOYMENT_V1));

        try (Git clone = cloneOf(repo.fileUrl())) {
            assertThat(filesIn(clone)).isEqualTo(Map.of(DEPLOYMENT, DEPLOYMENT_V1));
        }
    }

    @Test
    void commitChangesAddsModifiesAndDeletesOnTopOfThePreviousTree() throws Exception {
        repo.commit("checkout v1", Map.of(DEPLOYMENT, DEPLOYMENT_V1, SERVICE, SERVICE_V1));
        String configMap = "apps/checkout/configmap.yaml";
        String configMapYaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: checkout\n";

        repo.commitChanges("checkout v2", Map.of(DEPLOYMENT, DEPLOYMENT_V2, configMap, configMapYaml), Set.of(SERVICE));

        try (Git clone = cloneOf(daemon.url(repo))) {
            assertThat(filesIn(clone)).isEqualTo(Map.of(DEPLOYMENT, DEPLOYMENT_V2, configMap, configMapYaml));
        }
        assertThatThrownBy(() -> repo.commitChanges("delete twice", Map.of(), Set.of(SERVICE)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tagResolvesToTheTaggedCommit() throws Exception {
        String tagged = repo.commit("checkout v1", Map.of(DEPLOYMENT, DEPLOYMENT_V1));
        assertThat(repo.tag("v1")).isEqualTo(tagged);
        String later = repo.commit("checkout v2", Map.of(DEPLOYMENT, DEPLOYMENT_V2));

        try (Git clone = cloneOf(daemon.url(repo))) {
            assertThat(clone.getRepository().resolve("refs/tags/v1").name()).isEqualTo(tagged);
            assertThat(clone.getRepository().resolve("HEAD").name()).isEqualTo(later);
        }
    }

    @Test
    void branchNameIsConfigurable() throws Exception {
        try (GitRepoFixture release = GitRepoFixture.create("release")) {
            String commit = release.commit("first", Map.of(DEPLOYMENT, DEPLOYMENT_V1));

            try (Git clone = cloneOf(release.fileUrl())) {
                assertThat(clone.getRepository().getBranch()).isEqualTo("release");
                assertThat(clone.getRepository().resolve("refs/remotes/origin/release").name()).isEqualTo(commit);
            }
        }
    }

    @Test
    void aRepositoryInItsOwnDirectoryCanBeServedAndIsDeletedOnClose() throws Exception {
        Path ownDir;
        try (GitRepoFixture own = GitRepoFixture.create();
                GitDaemonFixture ownDaemon = GitDaemonFixture.serve(own.baseDir())) {
            ownDir = own.baseDir();
            String commit = own.commit("first", Map.of(DEPLOYMENT, DEPLOYMENT_V1));

            assertThat(ownDaemon.url(own)).endsWith("/repo.git");
            try (Git clone = cloneOf(ownDaemon.url(own))) {
                assertThat(clone.getRepository().resolve("HEAD").name()).isEqualTo(commit);
                assertThat(clone.getRepository().getBranch()).isEqualTo(GitRepoFixture.DEFAULT_BRANCH);
            }
        }
        assertThat(ownDir).doesNotExist();
    }

    @Test
    void closingLeavesNoProcessNoListenerAndNoFiles() throws Exception {
        GitDaemonFixture ownDaemon = GitDaemonFixture.start();
        GitRepoFixture ownRepo = GitRepoFixture.createIn(ownDaemon.baseDir(), "apps", "main");
        ownRepo.commit("first", Map.of(DEPLOYMENT, DEPLOYMENT_V1));
        try (Git clone = cloneOf(ownDaemon.url(ownRepo))) {
            assertThat(filesIn(clone)).containsOnlyKeys(DEPLOYMENT);
        }
        String portArgument = "--port=" + ownDaemon.port();
        assertThat(processesWithArgument(portArgument)).isNotEmpty();

        ownRepo.close();
        ownDaemon.close();

        assertThat(processesWithArgument(portArgument)).isEmpty();
        assertThat(acceptsConnections(ownDaemon.port())).isFalse();
        assertThat(ownDaemon.baseDir()).doesNotExist();
    }

    private Git cloneOf(String url) throws GitAPIException, IOException {
        Path directory = Files.createTempDirectory(clones, "clone-");
        return Git.cloneRepository().setURI(url).setDirectory(directory.toFile()).call();
    }

    /** The checked-out files by repository path, without {@code .git}. */
    private static Map<String, String> filesIn(Git clone) throws IOException {
        Path workTree = clone.getRepository().getWorkTree().toPath();
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(workTree)) {
            paths.filter(Files::isRegularFile)
                    .filter(path -> !workTree.relativize(path).startsWith(".git"))
                    .forEach(path -> files.put(workTree.relativize(path).toString(), read(path)));
        }
        return files;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<ProcessHandle> processesWithArgument(String argument) {
        return ProcessHandle.allProcesses()
                .filter(process -> process.info().arguments().map(List::of).orElse(List.of()).contains(argument))
                .toList();
    }

    private static boolean acceptsConnections(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException refused) {
            return false;
        }
    }
}
