package io.sluice.docs;

import io.sluice.crd.CrdGeneration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

class FieldReferenceTest {

    @Test
    void committedReferenceMatchesTheCrds() throws IOException {
        String generated = FieldReference.render(CrdGeneration.crdsDir());
        Path file = FieldReference.referenceFile();
        String committed = Files.exists(file) ? Files.readString(file) : "";
        if (!generated.equals(committed)) {
            fail("docs/reference.md is stale: it differs from what the CRDs in crds/ say. Run `" + FieldReference.COMMAND
                    + "` and commit docs/reference.md. " + firstDifference(committed, generated));
        }
    }

    @Test
    void everyFieldIsListedWithItsTypeBoundsAndRules() throws IOException {
        String reference = FieldReference.render(CrdGeneration.crdsDir());

        assertThat(reference)
                .contains("## Rollout", "## AnalysisTemplate", "## ClusterAnalysisTemplate", "## AnalysisRun")
                .contains("#### `spec.strategy.canary.steps[].setWeight`\n\ninteger · optional · 0 to 100\n")
                .contains("#### `spec.source.git.interval`\n\nstring · optional · default `\"1m\"` · pattern ")
                .contains("#### `spec.workloadRef.name`\n\nstring · **required** · pattern ")
                .contains("#### `spec.strategy.canary.analysis.templates`\n\nlist of objects · **required** · 1 to 10 items")
                .contains("#### `status.phase`\n\nstring · optional · one of `Aborted`, `Degraded`, `Healthy`, `Paused`,"
                        + " `Pending`, `Progressing`\n")
                .contains("- each step must set exactly one of setWeight, pause, analysis: `[has(self.setWeight), has(self.pause),"
                        + " has(self.analysis)].exists_one(x, x)`")
                .contains("- url must not carry credentials; put them in the Secret named by secretRef: ")
                .contains("#### `spec.metrics[].noData.outcome`")
                .contains("Columns of `kubectl get rollouts`: NAME, Phase (`.status.phase`), Weight");
        // ClusterAnalysisTemplate's spec is AnalysisTemplate's; it is described once and referred to.
        assertThat(reference).contains("It has exactly the fields of [AnalysisTemplate's spec](#analysistemplate)");
        assertThat(reference.split("#### `spec.metrics\\[]\\.noData\\.outcome`", -1)).hasSize(3); // template + run
    }

    @Test
    void aChangedDescriptionChangesTheReference(@TempDir Path crds) throws IOException {
        copyCrds(crds);
        Path rollouts = crds.resolve("rollouts.sluice.io.yaml");
        String yaml = Files.readString(rollouts);
        String changed = yaml.replaceFirst("(\\n\\s+)description: \"", "$1description: \"Changed without regenerating. ");
        assertThat(changed).isNotEqualTo(yaml);
        Files.writeString(rollouts, changed);

        String reference = FieldReference.render(crds);

        assertThat(reference).contains("Changed without regenerating. ")
                .isNotEqualTo(FieldReference.render(CrdGeneration.crdsDir()));
    }

    @Test
    void aSchemaKeywordItCannotRenderStopsTheGenerator(@TempDir Path crds) throws IOException {
        copyCrds(crds);
        Path rollouts = crds.resolve("rollouts.sluice.io.yaml");
        Files.writeString(rollouts, Files.readString(rollouts).replace(
                "progressDeadlineSeconds:\n                default: 600\n",
                "progressDeadlineSeconds:\n                default: 600\n                multipleOf: 5\n"));

        assertThatThrownBy(() -> FieldReference.render(crds))
                .hasMessageContaining("spec.progressDeadlineSeconds uses [multipleOf]");
    }

    private static void copyCrds(Path to) throws IOException {
        try (var files = Files.list(CrdGeneration.crdsDir())) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
    }

    private static String firstDifference(String committed, String generated) {
        List<String> a = committed.lines().toList();
        List<String> b = generated.lines().toList();
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            String left = i < a.size() ? a.get(i) : "(end of file)";
            String right = i < b.size() ? b.get(i) : "(end of file)";
            if (!left.equals(right)) {
                return "First difference at line " + (i + 1) + ":\n  committed: " + left + "\n  generated: " + right;
            }
        }
        return "They differ only in line endings or a final newline.";
    }
}
