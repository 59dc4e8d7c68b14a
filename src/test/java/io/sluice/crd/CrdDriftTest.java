package io.sluice.crd;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class CrdDriftTest {

    @Test
    void committedCrdsMatchWhatTheCodeGenerates() throws IOException {
        Map<String, String> generated = CrdGeneration.generate();
        Map<String, String> committed = new TreeMap<>();
        try (var files = Files.list(CrdGeneration.crdsDir())) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
                committed.put(file.getFileName().toString(), Files.readString(file));
            }
        }
        assertThat(generated).as("CRDs generated from the code").hasSize(4);
        assertThat(committed)
                .as("crds/ is stale: run `./sluice crds` and commit the result")
                .isEqualTo(generated);
    }
}
