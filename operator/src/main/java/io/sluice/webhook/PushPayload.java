package io.sluice.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.source.RepositoryUrls;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The repository a push webhook is about, from GitHub's or GitLab's payload. */
final class PushPayload {
    /** GitHub: repository.*; GitLab: project.* (every form of the URL, as a Rollout may use any). */
    private static final List<String> GITHUB_URL_FIELDS = List.of("clone_url", "ssh_url", "git_url", "html_url");
    private static final List<String> GITLAB_URL_FIELDS = List.of("git_http_url", "git_ssh_url", "web_url");

    private PushPayload() {
    }

    /** The repository's URLs, normalized by {@link RepositoryUrls#normalize}; empty if there are none. */
    static Set<String> repositoryKeys(JsonNode payload) {
        Set<String> keys = new LinkedHashSet<>();
        addUrls(payload.path("repository"), GITHUB_URL_FIELDS, keys);
        addUrls(payload.path("project"), GITLAB_URL_FIELDS, keys);
        return keys;
    }

    private static void addUrls(JsonNode object, List<String> fields, Set<String> keys) {
        for (String field : fields) {
            JsonNode url = object.path(field);
            if (url.isTextual() && !url.asText().isBlank()) {
                keys.add(RepositoryUrls.normalize(url.asText()));
            }
        }
    }
}
