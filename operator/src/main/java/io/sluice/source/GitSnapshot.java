package io.sluice.source;

import java.util.Map;

/**
 * The files under the requested path at one commit.
 *
 * @param revision    the full commit id
 * @param resolvedRef the ref as found (refs/heads/main, refs/tags/v1) or the commit id itself
 * @param files       path relative to the requested folder → file content, for YAML files only
 */
public record GitSnapshot(String revision, String resolvedRef, Map<String, String> files) {
}
