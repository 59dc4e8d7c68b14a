package io.sluice.source;

/** Reads a folder of a Git repository at the commit a ref points to. */
public interface GitSource {

    /**
     * Fetches (or reuses a recent fetch of) the repository and reads the files under the path.
     *
     * @throws SourceException with a reason such as GitUnreachable, RefNotFound or PathNotFound
     */
    GitSnapshot read(GitRequest request) throws SourceException;
}
