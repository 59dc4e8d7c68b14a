package io.sluice.sandbox;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ConfigMapList;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.RollableScalableResource;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/** The sandbox API through a real Fabric8 client over HTTP. */
class SandboxApiServerMockTest {

    private static final String WIDGET_CRD = "/sandbox/widgets.test.sluice.io.yaml";
    private static final PatchContext MERGE_PATCH = PatchContext.of(PatchType.JSON_MERGE);
    private static final AtomicInteger NAMESPACES = new AtomicInteger();

    private static SandboxApiServer server;
    private static KubernetesClient client;
    private static CustomResourceDefinitionContext widgetType;

    /** Each test works in a namespace of its own on the shared server. */
    private String namespace;

    @BeforeAll
    static void startServer() throws IOException {
        server = SandboxApiServer.start();
        client = server.client();
        try (InputStream yaml = SandboxApiServerMockTest.class.getResourceAsStream(WIDGET_CRD)) {
            widgetType = CustomResourceDefinitionContext.fromCrd(server.installCrd(yaml));
        }
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @BeforeEach
    void pickNamespace() {
        namespace = "test-" + NAMESPACES.incrementAndGet();
    }

    @Test
    void mergePatchWithNullDeletesTheKey() {
        configMaps().resource(configMap("settings", Map.of("a", "1", "b", "2"))).create();

        ConfigMap patched = configMaps().withName("settings")
                .patch(MERGE_PATCH, "{\"metadata\":{\"labels\":{\"b\":null}}}");

        assertThat(patched.getMetadata().getLabels()).isEqualTo(Map.of("a", "1"));
        assertThat(configMaps().withName("settings").get().getMetadata().getLabels()).isEqualTo(Map.of("a", "1"));
    }

    @Test
    void mergePatchReplacesTheContainersArray() {
        deployments().resource(deployment("checkout", container("app", "checkout:v1"), container("proxy", "envoy:1")))
                .create();

        deployments().withName("checkout").patch(MERGE_PATCH, """
                {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "checkout:v2"}]}}}}
                """);

        List<Container> containers = deployments().withName("checkout").get().getSpec().getTemplate().getSpec()
                .getContainers();
        assertThat(containers).extracting(Container::getName, Container::getImage)
                .containsExactly(tuple("app", "checkout:v2"));
    }

    @Test
    void mergePatchMergesNestedObjectsKeepingUntouchedKeys() {
        deployments().resource(deployment("checkout", container("app", "checkout:v1"))).create();

        deployments().withName("checkout").patch(MERGE_PATCH, """
                {"spec": {"template": {"metadata": {"annotations": {"sluice.io/revision": "abc123"}}}}}
                """);

        Deployment patched = deployments().withName("checkout").get();
        assertThat(patched.getSpec().getReplicas()).isEqualTo(2);
        assertThat(patched.getSpec().getTemplate().getMetadata().getLabels()).isEqualTo(Map.of("app", "checkout"));
        assertThat(patched.getSpec().getTemplate().getMetadata().getAnnotations())
                .isEqualTo(Map.of("sluice.io/revision", "abc123"));
        assertThat(patched.getSpec().getTemplate().getSpec().getContainers()).extracting(Container::getName)
                .containsExactly("app");
        assertThat(patched.getMetadata().getGeneration()).isEqualTo(2);
    }

    @Test
    void mergePatchCarryingAStaleResourceVersionIsAConflict() {
        ConfigMap created = configMaps().resource(configMap("settings", Map.of())).create();
        configMaps().withName("settings").patch(MERGE_PATCH, "{\"data\":{\"mode\":\"fast\"}}");

        assertThatThrownBy(() -> configMaps().withName("settings").patch(MERGE_PATCH,
                "{\"metadata\":{\"resourceVersion\":\"" + created.getMetadata().getResourceVersion() + "\"},"
                        + "\"data\":{\"mode\":\"slow\"}}"))
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
        assertThat(configMaps().withName("settings").get().getData()).isEqualTo(Map.of("mode", "fast"));
    }

    @Test
    void mergePatchThatIsNotAnObjectIsRejected() {
        configMaps().resource(configMap("settings", Map.of())).create();

        assertThatThrownBy(() -> configMaps().withName("settings").patch(MERGE_PATCH, "[1]"))
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(400));
    }

    @Test
    void updateWithAStaleResourceVersionIsAConflict() {
        ConfigMap created = configMaps().resource(configMap("settings", Map.of())).create();
        configMaps().resource(new ConfigMapBuilder(created).withData(Map.of("mode", "fast")).build()).update();

        ConfigMap stale = new ConfigMapBuilder(created).withData(Map.of("mode", "slow")).build();
        assertThatThrownBy(() -> configMaps().resource(stale).update())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
        assertThat(configMaps().withName("settings").get().getData()).isEqualTo(Map.of("mode", "fast"));
    }

    @Test
    void statusUpdateDoesNotChangeSpec() {
        GenericKubernetesResource widget = widgets().resource(widget("gear", 1)).create();
        widget.setAdditionalProperty("spec", Map.of("size", 5));
        widget.setAdditionalProperty("status", Map.of("phase", "Ready"));

        widgets().resource(widget).updateStatus();

        GenericKubernetesResource stored = widgets().withName("gear").get();
        assertThat((Object) stored.get("spec", "size")).isEqualTo(1);
        assertThat((Object) stored.get("status", "phase")).isEqualTo("Ready");
        assertThat(stored.getMetadata().getGeneration()).isEqualTo(1);
    }

    @Test
    void specUpdateDoesNotChangeStatus() {
        GenericKubernetesResource widget = widgets().resource(widget("gear", 1)).create();
        widget.setAdditionalProperty("status", Map.of("phase", "Ready"));
        widget = widgets().resource(widget).updateStatus();
        widget.setAdditionalProperty("spec", Map.of("size", 5));
        widget.setAdditionalProperty("status", Map.of("phase", "Broken"));

        widgets().resource(widget).update();

        GenericKubernetesResource stored = widgets().withName("gear").get();
        assertThat((Object) stored.get("spec", "size")).isEqualTo(5);
        assertThat((Object) stored.get("status", "phase")).isEqualTo("Ready");
        assertThat(stored.getMetadata().getGeneration()).isEqualTo(2);
    }

    @Test
    void mergePatchOfTheObjectDoesNotChangeStatus() {
        GenericKubernetesResource widget = widgets().resource(widget("gear", 1)).create();
        widget.setAdditionalProperty("status", Map.of("phase", "Ready"));
        widgets().resource(widget).updateStatus();

        widgets().withName("gear").patch(MERGE_PATCH, "{\"spec\":{\"size\":2},\"status\":{\"phase\":\"Broken\"}}");

        GenericKubernetesResource stored = widgets().withName("gear").get();
        assertThat((Object) stored.get("spec", "size")).isEqualTo(2);
        assertThat((Object) stored.get("status", "phase")).isEqualTo("Ready");
        assertThat(stored.getMetadata().getGeneration()).isEqualTo(2);
    }

    @Test
    void mergePatchOfStatusChangesOnlyStatusAndReplacesConditions() {
        GenericKubernetesResource widget = widgets().resource(widget("gear", 1)).create();
        widget.setAdditionalProperty("status", Map.of(
                "observedGeneration", 1,
                "conditions", List.of(
                        Map.of("type", "Ready", "status", "False"),
                        Map.of("type", "Progressing", "status", "True"))));
        widgets().resource(widget).updateStatus();

        widgets().withName("gear").subresource("status").patch(MERGE_PATCH, """
                {"spec": {"size": 9}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
                """);

        GenericKubernetesResource stored = widgets().withName("gear").get();
        assertThat((Object) stored.get("status", "conditions"))
                .isEqualTo(List.of(Map.of("type", "Ready", "status", "True")));
        assertThat((Object) stored.get("status", "observedGeneration")).isEqualTo(1);
        assertThat((Object) stored.get("spec", "size")).isEqualTo(1);
        assertThat(stored.getMetadata().getGeneration()).isEqualTo(1);
    }

    @Test
    void informerSeesACreatedObject() {
        try (SharedIndexInformer<ConfigMap> informer = configMaps().inform()) {
            configMaps().resource(configMap("settings", Map.of())).create();

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(informer.getStore().list())
                    .extracting(configMap -> configMap.getMetadata().getName())
                    .containsExactly("settings"));
        }
    }

    @Test
    void installCrdsInstallsEveryYamlFileOfADirectory(@TempDir Path crds) throws IOException {
        String widgetCrd = readResource(WIDGET_CRD);
        Files.writeString(crds.resolve("widgets.yaml"), widgetCrd);
        Files.writeString(crds.resolve("gadgets.yml"),
                widgetCrd.replace("widget", "gadget").replace("Widget", "Gadget"));
        Files.writeString(crds.resolve("README.md"), "not a CRD");

        try (SandboxApiServer other = SandboxApiServer.start()) {
            List<CustomResourceDefinition> installed = other.installCrds(crds);

            assertThat(installed).extracting(crd -> crd.getMetadata().getName())
                    .containsExactly("gadgets.test.sluice.io", "widgets.test.sluice.io");
            GenericKubernetesResource gadget = widget("cog", 3);
            gadget.setKind("Gadget");
            other.client().genericKubernetesResources("test.sluice.io/v1alpha1", "Gadget").resource(gadget).create();
            assertThat(other.client().genericKubernetesResources("test.sluice.io/v1alpha1", "Gadget").list().getItems())
                    .extracting(item -> item.getMetadata().getName())
                    .containsExactly("cog");
        }
    }

    @Test
    void installCrdRejectsAnythingButAV1Crd() {
        InputStream configMapYaml = new ByteArrayInputStream(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n".getBytes(UTF_8));

        assertThatThrownBy(() -> server.installCrd(configMapYaml)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void listensOnTheRequestedPort() throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }

        try (SandboxApiServer onPort = SandboxApiServer.start(port)) {
            assertThat(onPort.port()).isEqualTo(port);
            assertThat(onPort.url()).isEqualTo("http://127.0.0.1:" + port);
            assertThat(onPort.client().getMasterUrl().toString()).startsWith(onPort.url());
            onPort.client().configMaps().resource(configMap("settings", Map.of())).create();
            assertThat(onPort.client().configMaps().inNamespace("default").list().getItems()).hasSize(1);
        }
    }

    private NonNamespaceOperation<ConfigMap, ConfigMapList, Resource<ConfigMap>> configMaps() {
        return client.configMaps().inNamespace(namespace);
    }

    private NonNamespaceOperation<Deployment, DeploymentList, RollableScalableResource<Deployment>> deployments() {
        return client.apps().deployments().inNamespace(namespace);
    }

    private NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> widgets() {
        return client.genericKubernetesResources(widgetType).inNamespace(namespace);
    }

    private static ConfigMap configMap(String name, Map<String, String> labels) {
        return new ConfigMapBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().build();
    }

    private static Container container(String name, String image) {
        return new ContainerBuilder().withName(name).withImage(image).build();
    }

    private static Deployment deployment(String name, Container... containers) {
        return new DeploymentBuilder()
                .withNewMetadata().withName(name).endMetadata()
                .withNewSpec()
                .withReplicas(2)
                .withNewSelector().addToMatchLabels("app", name).endSelector()
                .withNewTemplate()
                .withNewMetadata().addToLabels("app", name).endMetadata()
                .withNewSpec().withContainers(containers).endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    private static GenericKubernetesResource widget(String name, int size) {
        return client.getKubernetesSerialization().unmarshal("""
                {"apiVersion": "test.sluice.io/v1alpha1", "kind": "Widget",
                 "metadata": {"name": "%s"}, "spec": {"size": %d}}
                """.formatted(name, size), GenericKubernetesResource.class);
    }

    private static String readResource(String name) throws IOException {
        try (InputStream resource = SandboxApiServerMockTest.class.getResourceAsStream(name)) {
            return new String(resource.readAllBytes(), UTF_8);
        }
    }
}
