package io.sluice.sandbox;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ClusterTargetTest {
    @TempDir
    Path home;

    @Test
    void noKubeconfigAnywhereMeansSandbox() {
        assertThat(ClusterTarget.configuredCluster(Map.of(), home)).isEmpty();
    }

    @Test
    void theDefaultKubeconfigIsUsed() throws IOException {
        Files.createDirectories(home.resolve(".kube"));
        Files.writeString(home.resolve(".kube/config"), "apiVersion: v1\nkind: Config\n");
        assertThat(ClusterTarget.configuredCluster(Map.of(), home)).contains("kubeconfig " + home.resolve(".kube/config"));
    }

    @Test
    void kubeconfigVariableWinsAndMissingFilesAreIgnored() throws IOException {
        Path config = Files.writeString(home.resolve("cluster.yaml"), "apiVersion: v1\nkind: Config\n");
        assertThat(ClusterTarget.configuredCluster(Map.of("KUBECONFIG", home.resolve("nope") + ":" + config), home))
                .contains("kubeconfig " + config);
        assertThat(ClusterTarget.configuredCluster(Map.of("KUBECONFIG", home.resolve("nope").toString()), home)).isEmpty();
    }
}
