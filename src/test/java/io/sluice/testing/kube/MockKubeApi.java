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
