package io.sluice.manifest;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ContentHashTest {
    private static final String CONFIG = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '1', b: '2'}\n";

    @Test
    void whatIsDeployedDecidesNotHowItIsWrittenOrWhereItLies() throws Exception {
        String hash = new ContentHash().of(ManifestSet.parse(Map.of("app/c.yaml", CONFIG)));

        String reordered = "# a comment\nkind: ConfigMap\napiVersion: v1\ndata:\n  b: '2'\n  a: '1'\nmetadata:\n  name: c\n";
        assertThat(new ContentHash().of(ManifestSet.parse(Map.of("app/renamed.yaml", reordered))))
                .as("comments, key order and file names do not count").isEqualTo(hash);
        assertThat(new ContentHash().of(ManifestSet.parse(Map.of("app/c.yaml", CONFIG.replace("'2'", "'3'")))))
                .as("a changed value does").isNotEqualTo(hash);
        assertThat(hash).matches("[0-9a-f]{16}");
    }
}
