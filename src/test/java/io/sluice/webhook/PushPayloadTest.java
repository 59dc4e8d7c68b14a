package io.sluice.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PushPayloadTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void githubsRepositoryUrlsAreOneRepository() throws Exception {
        var payload = JSON.readTree("""
                {"ref": "refs/heads/main",
                 "repository": {"full_name": "Shop/deploy",
                   "html_url": "https://github.com/Shop/deploy",
                   "clone_url": "https://github.com/Shop/deploy.git",
                   "ssh_url": "git@github.com:Shop/deploy.git",
                   "git_url": "git://github.com/Shop/deploy.git",
                   "url": "https://api.github.com/repos/Shop/deploy"}}
                """);

        assertThat(PushPayload.repositoryKeys(payload)).containsExactly("github.com/Shop/deploy");
    }

    @Test
    void gitlabsProjectUrlsAreOneRepository() throws Exception {
        var payload = JSON.readTree("""
                {"object_kind": "push", "ref": "refs/heads/main",
                 "project": {"path_with_namespace": "platform/shop/deploy",
                   "web_url": "https://gitlab.example.com/platform/shop/deploy",
                   "git_http_url": "https://gitlab.example.com/platform/shop/deploy.git",
                   "git_ssh_url": "ssh://git@gitlab.example.com:2222/platform/shop/deploy.git"}}
                """);

        assertThat(PushPayload.repositoryKeys(payload)).containsExactly("gitlab.example.com/platform/shop/deploy");
    }

    @Test
    void aPayloadWithoutRepositoryNamesNone() throws Exception {
        assertThat(PushPayload.repositoryKeys(JSON.readTree("{\"zen\": \"Keep it simple\"}"))).isEmpty();
        assertThat(PushPayload.repositoryKeys(JSON.readTree("[1, 2]"))).isEmpty();
        assertThat(PushPayload.repositoryKeys(JSON.readTree("{\"repository\": {\"clone_url\": \" \"}}"))).isEmpty();
    }
}
