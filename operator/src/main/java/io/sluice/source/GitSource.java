package io.sluice.source;

/** Reads a folder of a Git repository at the commit a ref points to. */
public interface GitSource {

    /**
     * Fetches (or reuses a recent fetch of) the repository and reads the files under the path.
     *
     * @throws SourceException with a reason such as GitUnreachable, GitAuthFailed, HostKeyUnknown,
     *                         HostKeyMismatch, InvalidSecret, RefNotFound or PathNotFound
     */
    GitSnapshot read(GitRequest request) throws SourceException;

    /**
     * Makes the next read of this repository fetch, even within the minimum fetch interval: the Git
     * host said it changed. Any URL form of the repository will do (see {@link RepositoryUrls}).
     */
    void invalidate(String url);
}
