package io.sluice.source;

/** Reads a folder of a Git repository at the commit a ref points to. */
public interface GitSource {

    /**
     * Fetches (or reuses a recent fetch of) the repository and reads the files under the path.
     *
     * Waits for a fetch only briefly (the operator's {@code sluice.git.read-wait}): if it is still
     * running, returns what the mirror fetched last time, or fails with GitFetching if it has nothing yet.
     *
     * @throws SourceException with a reason such as GitUnreachable, GitTimeout, GitFetching, GitAuthFailed,
     *                         HostKeyUnknown, HostKeyMismatch, InvalidSecret, RefNotFound, PathNotFound,
     *                         ManifestTooLarge or GitCacheFull
     */
    GitSnapshot read(GitRequest request) throws SourceException;

    /**
     * Like {@link #read}, but waits for a fetch it needs until the fetch ends or reaches its deadline,
     * for callers on threads of their own (the repository poller), never a reconcile thread.
     */
    default GitSnapshot readWaiting(GitRequest request) throws SourceException {
        return read(request);
    }

    /**
     * Calls {@code listener} with a repository key ({@link RepositoryUrls#normalize}) when a fetch ends
     * that {@link #read} did not wait for, so that the Rollouts reading it can be reconciled again.
     */
    default void onFetchEnded(java.util.function.Consumer<String> listener) {
    }

    /**
     * Makes the next read of this repository fetch, even within the minimum fetch interval: the Git
     * host said it changed. Any URL form of the repository will do (see {@link RepositoryUrls}).
     */
    void invalidate(String url);
}
