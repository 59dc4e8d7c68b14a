package io.sluice.manifest;

import io.sluice.core.RolloutFixtures;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ManifestSetTest {

    @Test
    void readsEveryDocumentOfEveryFile() throws Exception {
        ManifestSet set = ManifestSet.parse(RolloutFixtures.checkoutManifests());
        assertThat(set.all()).extracting(m -> m.kind() + "/" + m.name())
                .containsExactlyInAnyOrder("Deployment/checkout", "Service/checkout", "VirtualService/checkout");
        assertThat(set.find("networking.istio.io", "VirtualService", "checkout")).get()
                .extracting(Manifest::origin).isEqualTo("network.yaml (document 2)");
        assertThat(set.find("apps", "Deployment", "other")).isEmpty();
    }

    @Test
    void skipsEmptyDocuments() throws Exception {
        ManifestSet set = ManifestSet.parse(Map.of("a.yaml", "---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n"));
        assertThat(set.all()).hasSize(1);
    }

    @Test
    void brokenYamlIsRejectedNamingTheFileAndLine() {
        assertThatThrownBy(() -> ManifestSet.parse(Map.of("ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
                "apps/broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c\n  data: x: y\n")))
                .isInstanceOf(InvalidManifestException.class)
                .hasMessageStartingWith("apps/broken.yaml")
                .hasMessageContaining("invalid YAML")
                .hasMessageContaining("line");
    }

    @Test
    void objectsWithoutKindOrNameAreRejected() {
        assertThatThrownBy(() -> ManifestSet.parse(Map.of("x.yaml", "apiVersion: v1\nmetadata: {name: c}\n")))
                .hasMessage("x.yaml: kind is missing");
        assertThatThrownBy(() -> ManifestSet.parse(Map.of("x.yaml", "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: Secret\nmetadata: {}\n")))
                .hasMessage("x.yaml: metadata.name is missing");
        assertThatThrownBy(() -> ManifestSet.parse(Map.of("x.yaml", "- a\n- b\n")))
                .hasMessageContaining("not a Kubernetes object");
    }
}
