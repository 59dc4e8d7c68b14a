package io.sluice.testing.kube;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.sandbox.SandboxApiServer;
import io.sluice.testing.ScopedFixture;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The sandbox Kubernetes API for tests, with the project's CRDs (every YAML file in {@code crds/}) installed.
 * Register it with {@code @RegisterExtension static final MockKubeApi api = MockKubeApi.start();} to share
 * one server across a test class, or use try-with-resources.
 */
public final class MockKubeApi extends ScopedFixture {

    private final SandboxApiServer server;
    private final List<CustomResourceDefinition> installedCrds;

    private MockKubeApi(SandboxApiServer server, List<CustomResourceDefinition> installedCrds) {
        this.server = server;
        this.installedCrds = installedCrds;
    }

    /** A server with the CRDs of {@link #projectCrdDir()}. */
    public static MockKubeApi start() {
        return start(projectCrdDir());
    }

    /** A server with the CRDs found in {@code crdDir}, or none if there is no such directory. */
    public static MockKubeApi start(Path crdDir) {
        SandboxApiServer server = SandboxApiServer.start();
        try {
            return new MockKubeApi(server, Files.isDirectory(crdDir) ? server.installCrds(crdDir) : List.of());
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /**
     * {@code <project>/crds}, the project being the {@code sluice.project.dir} system property (set by
     * Surefire) or else the working directory.
     */
    public static Path projectCrdDir() {
        return Path.of(System.getProperty("sluice.project.dir", System.getProperty("user.dir"))).resolve("crds");
    }

    /**
     * Turns the server into a lax API server that admits custom resources its CRDs forbid (by default the
     * sandbox refuses them with 422 as an API server does): for tests of how the operator copes with an object
     * that slipped past validation (an older CRD, validation switched off, a webhook-less cluster).
     */
    public MockKubeApi lax() {
        server.validateCustomResources(false);
        return this;
    }

    /**
     * A new client like {@code client} (same server and settings) whose writes the sandbox serves as a lax API
     * server would, admitting custom resources their CRDs forbid; close it after use. For creating an object
     * that slipped past validation in a test whose server stays strict for everything else.
     */
    public static KubernetesClient laxClient(KubernetesClient client) {
        var headers = new java.util.HashMap<String, String>();
        if (client.getConfiguration().getCustomHeaders() != null) {
            headers.putAll(client.getConfiguration().getCustomHeaders());
        }
        headers.put(SandboxApiServer.LAX_HEADER, "true");
        return new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(
                new io.fabric8.kubernetes.client.ConfigBuilder(client.getConfiguration()).withCustomHeaders(headers).build())
                .build();
    }

    /** A client of this server; its default namespace is {@code default}. */
    public KubernetesClient client() {
        return server.client();
    }

    public SandboxApiServer server() {
        return server;
    }

    /** The CRDs installed when the server started. */
    public List<CustomResourceDefinition> installedCrds() {
        return installedCrds;
    }

    @Override
    public void close() {
        server.close();
    }
}
