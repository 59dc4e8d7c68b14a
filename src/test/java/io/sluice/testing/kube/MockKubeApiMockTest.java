package io.sluice.testing.kube;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class MockKubeApiMockTest {

    @RegisterExtension
    static final MockKubeApi api = MockKubeApi.start();

    @Test
    void installsEveryCrdFileOfTheProject() throws IOException {
        long crdFiles = 0;
        if (Files.isDirectory(MockKubeApi.projectCrdDir())) {
            try (Stream<Path> files = Files.list(MockKubeApi.projectCrdDir())) {
                crdFiles = files.filter(file -> file.getFileName().toString().matches(".*\\.ya?ml")).count();
            }
        }

        assertThat(api.installedCrds()).hasSize((int) crdFiles);
        assertThat(api.client().apiextensions().v1().customResourceDefinitions().list().getItems())
                .hasSameSizeAs(api.installedCrds());
    }

    @Test
    void installsTheCrdsOfAGivenDirectory(@TempDir Path crdDir) throws IOException {
        try (InputStream widgetCrd = getClass().getResourceAsStream("/sandbox/widgets.test.sluice.io.yaml")) {
            Files.copy(widgetCrd, crdDir.resolve("widgets.yaml"));
        }

        try (MockKubeApi withWidgets = MockKubeApi.start(crdDir)) {
            assertThat(withWidgets.client().apiextensions().v1().customResourceDefinitions().list().getItems())
                    .extracting(crd -> crd.getMetadata().getName())
                    .containsExactly("widgets.test.sluice.io");
        }
    }

    @Test
    void servesTheClient() {
        api.client().configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName("settings").endMetadata()
                .addToData("mode", "fast").build()).create();

        assertThat(api.client().configMaps().withName("settings").get().getData()).containsEntry("mode", "fast");
    }
}
