package io.sluice.source;

import java.util.Optional;

/** What to read: a ref and a folder of a repository, with optional credentials. */
public record GitRequest(String url, String ref, String path, Optional<GitCredentials> credentials) {
}
