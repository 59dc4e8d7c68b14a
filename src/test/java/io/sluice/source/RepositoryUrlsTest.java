package io.sluice.source;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RepositoryUrlsTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "https://github.com/shop/deploy.git",
            "https://github.com/shop/deploy",
            "https://github.com/shop/deploy/",
            "https://GitHub.com/shop/deploy.git/",
            "http://github.com/shop/deploy",
            "https://bot:token@github.com/shop/deploy.git",
            "https://github.com:443/shop/deploy.git",
            "ssh://git@github.com/shop/deploy.git",
            "ssh://git@github.com:22/shop/deploy.git",
            "git@github.com:shop/deploy.git",
            "git@github.com:/shop/deploy.git",
            "github.com:shop/deploy",
            "git://github.com/shop/deploy.git",
            "  https://github.com/shop/deploy.git  ",
            "github.com/shop/deploy",
            "GitHub.com/shop/deploy.git",
    })
    void everyFormOfOneRepositoryHasTheSameKey(String url) {
        assertThat(RepositoryUrls.normalize(url)).isEqualTo("github.com/shop/deploy");
    }

    @Test
    void theHostIsCaseInsensitiveButThePathIsNot() {
        assertThat(RepositoryUrls.normalize("https://GITLAB.example.com/Shop/Deploy.git")).isEqualTo("gitlab.example.com/Shop/Deploy");
    }

    @Test
    void nestedGroupsAndPortsOfSelfHostedServers() {
        assertThat(RepositoryUrls.normalize("ssh://git@gitlab.example.com:2222/platform/shop/deploy.git"))
                .isEqualTo(RepositoryUrls.normalize("https://gitlab.example.com:8443/platform/shop/deploy"))
                .isEqualTo("gitlab.example.com/platform/shop/deploy");
    }

    @Test
    void ipv6HostsKeepTheirBrackets() {
        assertThat(RepositoryUrls.normalize("ssh://git@[::1]:2222/shop/deploy.git")).isEqualTo("[::1]/shop/deploy");
        assertThat(RepositoryUrls.normalize("git@[::1]:shop/deploy.git")).isEqualTo("[::1]/shop/deploy");
    }

    @Test
    void localRepositoriesAreTheirPath() {
        assertThat(RepositoryUrls.normalize("file:///srv/git/deploy.git")).isEqualTo("/srv/git/deploy");
        assertThat(RepositoryUrls.normalize("/srv/git/deploy.git")).isEqualTo("/srv/git/deploy");
    }

    @Test
    void differentRepositoriesHaveDifferentKeys() {
        assertThat(RepositoryUrls.normalize("https://github.com/shop/deploy"))
                .isNotEqualTo(RepositoryUrls.normalize("https://github.com/shop/deploy-staging"))
                .isNotEqualTo(RepositoryUrls.normalize("https://gitlab.com/shop/deploy"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://GitHub.com/shop/deploy.git", "git@gitlab.example.com:2222/a/b", "file:///srv/x.git",
            "ssh://git@[::1]:2222/shop/deploy.git"})
    void aKeyNormalizesToItself(String url) {
        String key = RepositoryUrls.normalize(url);

        assertThat(RepositoryUrls.normalize(key)).isEqualTo(key);
    }

    @Test
    void aBlankUrlIsRejected() {
        assertThatThrownBy(() -> RepositoryUrls.normalize(" ")).isInstanceOf(IllegalArgumentException.class);
    }
}
