package io.sluice.testing.git;

import io.sluice.testing.ScopedFixture;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.util.FileUtils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * A bare Git repository in a temporary directory whose history a test writes directly: each commit states
 * the files of the new tree (or the changes to the previous one), so no working copy is involved.
 * Commits are made on one branch, which is also the repository's HEAD, so a plain clone checks it out.
 * <p>
 * Use it with try-with-resources or {@code @RegisterExtension} (see {@link ScopedFixture}). Methods throw
 * {@link UncheckedIOException} so tests stay free of checked exceptions.
 */
public final class GitRepoFixture extends ScopedFixture {

    public static final String DEFAULT_BRANCH = "main";
    private static final String DEFAULT_NAME = "repo";
    private static final String AUTHOR_NAME = "Sluice Test";
    private static final String AUTHOR_EMAIL = "test@sluice.invalid";

    private final Path baseDir;
    private final boolean ownsBaseDir;
    private final String name;
    private final String branch;
    private final Repository repository;
    private boolean closed;

    private GitRepoFixture(Path baseDir, boolean ownsBaseDir, String name, String branch) throws IOException {
        this.baseDir = baseDir;
        this.ownsBaseDir = ownsBaseDir;
        this.name = name;
        this.branch = branch;
        Path directory = baseDir.resolve(name + Constants.DOT_GIT);
        try {
            // Closing the repository is all Git.close() would do, so only the repository is kept.
            this.repository = Git.init().setBare(true).setDirectory(directory.toFile()).setInitialBranch(branch).call()
                    .getRepository();
        } catch (GitAPIException e) {
            throw new IOException("cannot create a bare repository in " + directory, e);
        }
    }

    /** A repository named {@code repo} on branch {@value #DEFAULT_BRANCH} in a temporary directory of its own. */
    public static GitRepoFixture create() {
        return create(DEFAULT_BRANCH);
    }

    /** A repository named {@code repo} on the given branch in a temporary directory of its own. */
    public static GitRepoFixture create(String branch) {
        try {
            return new GitRepoFixture(Files.createTempDirectory("sluice-git-"), true, DEFAULT_NAME, branch);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A repository {@code <baseDir>/<name>.git}, for several repositories served by one
     * {@link GitDaemonFixture}; closing it deletes the repository but not {@code baseDir}.
     */
    public static GitRepoFixture createIn(Path baseDir, String name, String branch) {
        try {
            return new GitRepoFixture(baseDir, false, name, branch);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Commits a tree holding exactly {@code files} (repository path, such as
     * {@code apps/checkout/deployment.yaml} → UTF-8 content): files of the previous commit that are not
     * listed are deleted.
     *
     * @return the new commit id
     */
    public String commit(String message, Map<String, String> files) {
        return writeCommit(message, new TreeMap<>(), files);
    }

    /**
     * Commits the previous tree with {@code addedOrModified} written over it and {@code deleted} removed.
     *
     * @return the new commit id
     * @throws IllegalArgumentException if a path to delete is not a file of the previous commit
     */
    public String commitChanges(String message, Map<String, String> addedOrModified, Collection<String> deleted) {
        Map<String, ObjectId> blobsByPath = blobsAt(headId());
        for (String path : deleted) {
            if (blobsByPath.remove(path) == null) {
                throw new IllegalArgumentException("cannot delete " + path + ": no such file on " + branch);
            }
        }
        return writeCommit(message, blobsByPath, addedOrModified);
    }

    /**
     * Creates the lightweight tag {@code refs/tags/<tagName>} on the current head.
     *
     * @return the tagged commit id
     */
    public String tag(String tagName) {
        ObjectId head = headId();
        if (head == null) {
            throw new IllegalStateException("nothing to tag: " + branch + " has no commit yet");
        }
        moveRef(Constants.R_TAGS + tagName, null, head);
        return head.name();
    }

    /** The id of the latest commit on the branch. */
    public String head() {
        ObjectId head = headId();
        if (head == null) {
            throw new IllegalStateException(branch + " has no commit yet");
        }
        return head.name();
    }

    public String fileUrl() {
        return "file://" + directory().toAbsolutePath();
    }

    /** The bare repository, {@code <baseDir>/<name>.git}. */
    public Path directory() {
        return repository.getDirectory().toPath();
    }

    public Path baseDir() {
        return baseDir;
    }

    public String name() {
        return name;
    }

    public String branch() {
        return branch;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        repository.close();
        try {
            FileUtils.delete((ownsBaseDir ? baseDir : directory()).toFile(), FileUtils.RECURSIVE | FileUtils.RETRY);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String writeCommit(String message, Map<String, ObjectId> blobsByPath, Map<String, String> newFiles) {
        try (ObjectInserter inserter = repository.newObjectInserter()) {
            for (Map.Entry<String, String> file : newFiles.entrySet()) {
                blobsByPath.put(file.getKey(), inserter.insert(Constants.OBJ_BLOB, file.getValue().getBytes(UTF_8)));
            }
            DirCache index = DirCache.newInCore();
            DirCacheBuilder indexBuilder = index.builder();
            blobsByPath.forEach((path, blob) -> {
                DirCacheEntry entry = new DirCacheEntry(path);
                entry.setFileMode(FileMode.REGULAR_FILE);
                entry.setObjectId(blob);
                indexBuilder.add(entry);
            });
            indexBuilder.finish();

            ObjectId parent = headId();
            PersonIdent author = new PersonIdent(AUTHOR_NAME, AUTHOR_EMAIL);
            CommitBuilder commit = new CommitBuilder();
            commit.setTreeId(index.writeTree(inserter));
            if (parent != null) {
                commit.setParentId(parent);
            }
            commit.setAuthor(author);
            commit.setCommitter(author);
            commit.setMessage(message);
            ObjectId commitId = inserter.insert(commit);
            inserter.flush();
            moveRef(Constants.R_HEADS + branch, parent, commitId);
            return commitId.name();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Map<String, ObjectId> blobsAt(ObjectId commitId) {
        Map<String, ObjectId> blobsByPath = new TreeMap<>();
        if (commitId == null) {
            return blobsByPath;
        }
        try (RevWalk commits = new RevWalk(repository); TreeWalk files = new TreeWalk(repository)) {
            files.addTree(commits.parseCommit(commitId).getTree());
            files.setRecursive(true);
            while (files.next()) {
                blobsByPath.put(files.getPathString(), files.getObjectId(0));
            }
            return blobsByPath;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Moves {@code refName} from {@code expectedOld} (null: the ref must not exist yet) to {@code target}. */
    private void moveRef(String refName, ObjectId expectedOld, ObjectId target) {
        try {
            RefUpdate update = repository.updateRef(refName);
            update.setExpectedOldObjectId(expectedOld == null ? ObjectId.zeroId() : expectedOld);
            update.setNewObjectId(target);
            RefUpdate.Result result = update.update();
            if (result != RefUpdate.Result.NEW && result != RefUpdate.Result.FAST_FORWARD) {
                throw new IllegalStateException("cannot move " + refName + " to " + target.name() + ": " + result);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ObjectId headId() {
        try {
            Ref ref = repository.exactRef(Constants.R_HEADS + branch);
            return ref == null ? null : ref.getObjectId();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
