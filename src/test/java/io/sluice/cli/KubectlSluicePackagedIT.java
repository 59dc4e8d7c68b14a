package io.sluice.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.core.RolloutFixtures;
import io.sluice.testing.kube.MockKubeApi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * bin/kubectl-sluice as installed: the script finds a JDK and runs the CLI from the packaged app
 * (target/quarkus-app) without starting Quarkus, and kubectl finds it as a plugin on PATH.
 */
class KubectlSluicePackagedIT {
    @RegisterExtension
    static final MockKubeApi API = MockKubeApi.start();

    @TempDir
    static Path dir;
    private static Path kubeconfig;
    private static final Path PROJECT = Path.of(System.getProperty("sluice.project.dir", System.getProperty("user.dir")));

    @BeforeAll
    static void seed() {
        KubernetesClient client = API.client();
        RolloutFixtures.createWithStatus(client, RolloutFixtures.checkout("https://git.example.com/shop.git"), status -> {
            status.phase = RolloutPhase.Healthy;
            status.stableRevision = "1111111111aa1111";
            status.canaryWeight = 0;
        });
        kubeconfig = API.server().writeKubeconfig(dir.resolve("kubeconfig"), "shop");
    }

    @Test
    void theScriptRunsThePluginFromThePackagedApp() throws Exception {
        deleteClassArchive();
        Result list = run(List.of(PROJECT.resolve("bin/kubectl-sluice").toString(), "list", "-A"));
        assertThat(list.code()).as(list.toString()).isZero();
        assertThat(list.out()).containsPattern("shop\\s+checkout\\s+Healthy\\s+0%\\s+-\\s+1111111111aa");
        assertThat(list.err()).as("nothing but the output: no Quarkus banner, no JVM or library warnings").isEmpty();
        try (var archives = Files.list(CDS)) {
            assertThat(archives.map(p -> p.getFileName().toString())).as("the first call recorded the classes it loaded")
                    .singleElement().asString().endsWith(".jsa");
        }
        Result again = run(List.of(PROJECT.resolve("bin/kubectl-sluice").toString(), "list", "-A"));
        assertThat(again.out().replaceAll("\\S+\n", "\n")).as("the same with the class archive, but for the age")
                .isEqualTo(list.out().replaceAll("\\S+\n", "\n"));
        assertThat(again.err()).isEmpty();

        Result missing = run(List.of(PROJECT.resolve("bin/kubectl-sluice").toString(), "status", "nope"));
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).isEqualTo("Error: rollout \"nope\" not found in namespace \"shop\"\n");

        Result version = run(List.of(PROJECT.resolve("bin/kubectl-sluice").toString(), "--version"));
        assertThat(version.out()).startsWith("kubectl-sluice 0.1.0");
    }

    @Test
    void kubectlFindsThePluginOnThePath() throws Exception {
        String kubectl = onPath("kubectl");
        assumeTrue(kubectl != null, "kubectl is not installed");
        Result status = run(List.of(kubectl, "sluice", "status", "checkout"));
        assertThat(status.code()).as(status.toString()).isZero();
        assertThat(status.out()).contains("Phase:     Healthy", "Stable:    1111111111aa");

        // `kubectl sluice sta<TAB>` and `kubectl sluice status <TAB>`: kubectl asks bin/kubectl_complete-sluice
        Result command = run(List.of(kubectl, "__complete", "sluice", "sta"));
        assertThat(command.out()).as(command.toString()).isEqualTo("status\n:4\n");
        Result name = run(List.of(kubectl, "__complete", "sluice", "status", ""));
        assertThat(name.out()).as(name.toString()).isEqualTo("checkout\n:4\n");
    }

    /**
     * Prints how long {@code kubectl-sluice list} takes (no assertion on it): the first call after a build,
     * which records the class archive, then calls with it and without it.
     */
    @Test
    void startUpTimeIsPrinted() throws Exception {
        String script = PROJECT.resolve("bin/kubectl-sluice").toString();
        deleteClassArchive();
        long first = timed(List.of(script, "list"), Map.of());
        List<Long> withArchive = new ArrayList<>();
        List<Long> without = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            withArchive.add(timed(List.of(script, "list"), Map.of()));
            without.add(timed(List.of(script, "list"), Map.of("SLUICE_CDS", "0")));
        }
        System.out.printf("kubectl-sluice list: first call after a build %d ms (records the class archive); then median "
                + "%d ms with the archive, %d ms without (SLUICE_CDS=0), over 5 calls each, on %d CPUs%n", first,
                median(withArchive), median(without), Runtime.getRuntime().availableProcessors());
    }

    private static long timed(List<String> command, Map<String, String> env) throws Exception {
        long start = System.nanoTime();
        Result r = run(command, env);
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("checkout");
        return ms;
    }

    private static long median(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    private static final Path CDS = PROJECT.resolve("target/kubectl-sluice-cds");

    private static void deleteClassArchive() throws java.io.IOException {
        if (Files.isDirectory(CDS)) {
            try (var files = Files.list(CDS)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
        }
    }

    private record Result(int code, String out, String err) {
    }

    private static Result run(List<String> command) throws Exception {
        return run(command, Map.of());
    }

    private static Result run(List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command))
                .redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile());
        builder.environment().putAll(env);
        builder.environment().put("KUBECONFIG", kubeconfig.toString());
        builder.environment().put("HOME", dir.toString());
        builder.environment().put("PATH", PROJECT.resolve("bin") + File.pathSeparator + System.getenv("PATH"));
        Process process = builder.start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish within 120s");
        }
        return new Result(process.exitValue(), Files.readString(dir.resolve("out"), StandardCharsets.UTF_8),
                Files.readString(dir.resolve("err"), StandardCharsets.UTF_8));
    }

    private static String onPath(String name) {
        for (String entry : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(entry, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }
}
