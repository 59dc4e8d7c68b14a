package io.sluice.crd;

import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.sluice.api.v1alpha1.AnalysisRun;
import io.sluice.api.v1alpha1.AnalysisTemplate;
import io.sluice.api.v1alpha1.ClusterAnalysisTemplate;
import io.sluice.api.v1alpha1.Rollout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Generates Sluice's CRDs from the API classes, the single source of truth. The committed copies in
 * {@code crds/} must equal this output ({@link CrdDriftTest}); {@code ./sluice crds} rewrites them.
 */
public final class CrdGeneration {
    public static final List<Class<? extends HasMetadata>> RESOURCES = List.of(
            Rollout.class, AnalysisTemplate.class, ClusterAnalysisTemplate.class, AnalysisRun.class);

    private CrdGeneration() {
    }

    /** File name in crds/ (e.g. rollouts.sluice.io.yaml) to generated YAML. */
    public static Map<String, String> generate() {
        try {
            Path dir = Files.createTempDirectory("sluice-crds");
            try {
                new CRDGenerator()
                        .inOutputDir(dir.toFile())
                        .forCRDVersions("v1")
                        .customResourceClasses(RESOURCES)
                        .withPostProcessor(new CrdPolish())
                        .generate();
                Map<String, String> out = new TreeMap<>();
                try (var files = Files.list(dir)) {
                    for (Path file : files.toList()) {
                        String name = file.getFileName().toString().replaceFirst("-v1\\.yml$", ".yaml");
                        out.put(name, Files.readString(file));
                        Files.delete(file);
                    }
                }
                return out;
            } finally {
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Path crdsDir() {
        return projectDir().resolve("crds");
    }

    public static Path projectDir() {
        return Path.of(System.getProperty("sluice.project.dir", ".")).toAbsolutePath().normalize();
    }

    /**
     * The Helm chart's copy of crds/, kept byte-equal by {@code io.sluice.helm.HelmChartTest}. Not the
     * chart's crds/ folder: templates/crds.yaml renders these files, so that crds.install can turn them off.
     */
    public static Path chartCrdsDir() {
        return projectDir().resolve("helm/sluice/files/crds");
    }

    /** Rewrites crds/ and the Helm chart's copy from the code: {@code ./sluice crds}. */
    public static void main(String[] args) throws IOException {
        List<Path> dirs = args.length > 0 ? List.of(Path.of(args[0])) : List.of(crdsDir(), chartCrdsDir());
        Map<String, String> crds = generate();
        for (Path dir : dirs) {
            Files.createDirectories(dir);
            try (var old = Files.list(dir)) {
                for (Path file : old.filter(f -> f.toString().endsWith(".yaml")).toList()) {
                    Files.delete(file);
                }
            }
            for (var crd : crds.entrySet()) {
                Files.writeString(dir.resolve(crd.getKey()), crd.getValue());
                System.out.println("wrote " + dir.resolve(crd.getKey()));
            }
        }
    }
}
