package io.sluice.manifest;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The parsed-revision cache is bounded in bytes, not only in entries; one revision is bounded in objects. */
class ParsedRevisionsBoundTest {

    @Test
    void theCacheHoldsAtMostItsBytesOfYamlWhateverItsEntryCount() throws Exception {
        ParsedRevisions cache = new ParsedRevisions(1024);
        String oneMiB = "#".repeat(1024 * 1024); // a YAML comment: cheap to parse, large to hold
        ManifestSet first = cache.get("rev-0", "apps/a", Map.of("big.yaml", oneMiB));
        assertThat(cache.get("rev-0", "apps/a", Map.of("big.yaml", oneMiB))).as("cached").isSameAs(first);
        for (int i = 1; i < 40; i++) {
            cache.get("rev-" + i, "apps/a", Map.of("big.yaml", oneMiB));
        }
        assertThat(cache.get("rev-0", "apps/a", Map.of("big.yaml", oneMiB)))
                .as("40 MiB of YAML do not stay cached: the oldest revision was dropped").isNotSameAs(first);
    }

    @Test
    void aRevisionOfTensOfThousandsOfTinyObjectsIsManifestTooLarge() {
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            many.append("---\n{apiVersion: v1, kind: ConfigMap, metadata: {name: c").append(i).append("}}\n");
        }
        ParsedRevisions cache = new ParsedRevisions(1024);
        assertThatThrownBy(() -> cache.get("rev", "apps/a", Map.of("many.yaml", many.toString())))
                .isInstanceOf(InvalidManifestException.class)
                .hasMessageContaining("objects")
                .hasMessageContaining("sluice.git.max-manifest-objects");
    }

    @Test
    void aRevisionThatTakesLongerThanTheParseTimeIsManifestTooLarge() {
        long[] now = {0};
        // A clock that moves a second at every look: the fifth document is past a four-second limit.
        ParsedRevisions cache = new ParsedRevisions(1024, ParsedRevisions.DEFAULT_MAX_BYTES,
                new ManifestSet.Limits(5000, java.time.Duration.ofSeconds(4)), () -> now[0] += 1_000_000_000L);
        String docs = "---\n{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n".repeat(10);
        assertThatThrownBy(() -> cache.get("rev", "apps/a", Map.of("many.yaml", docs)))
                .isInstanceOfSatisfying(InvalidManifestException.class, e -> {
                    assertThat(e.reason()).isEqualTo("ManifestTooLarge");
                    assertThat(e.getMessage()).contains("sluice.git.max-parse-time");
                });
    }
}
