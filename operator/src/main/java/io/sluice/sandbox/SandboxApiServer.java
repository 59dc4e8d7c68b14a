package io.sluice.sandbox;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.stream.Stream;

/**
 * An in-memory Kubernetes API server on 127.0.0.1 over plain HTTP, for tests and for {@code sluice run}
 * when no cluster is configured. It is Fabric8's mock server in CRUD mode with JSON merge patch following
 * RFC 7386 (see {@link JsonMergePatchCrudDispatcher}).
 * <p>
 * It keeps objects with resourceVersions (409 on a stale one) and generations, serves watches, and honours
 * the status subresource of custom resources whose CRD has been installed. It has no admission, schema
 * validation, server-side apply, strategic merge patch, garbage collection or discovery, so talk to it with
 * the Fabric8 client.
 */
public final class SandboxApiServer implements AutoCloseable {

    private static final String LOOPBACK = "127.0.0.1";
    private static final String DEFAULT_NAMESPACE = "default";
    private static final String CRD_API_VERSION = "apiextensions.k8s.io/v1";
    private static final String CRD_KIND = "CustomResourceDefinition";

    private final KubernetesMockServer server;
    private final KubernetesClient client;
    private boolean closed;

    private SandboxApiServer(KubernetesMockServer server) {
        this.server = server;
        this.client = new KubernetesClientBuilder().withConfig(clientConfig()).build();
    }

    /** Starts a server on a free port. */
    public static SandboxApiServer start() {
        return start(0);
    }

    /** Starts a server on {@code port}, or on a free port if it is 0. */
    public static SandboxApiServer start(int port) {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new JsonMergePatchCrudDispatcher(), false);
        server.init(new InetSocketAddress(LOOPBACK, port).getAddress(), port);
        return new SandboxApiServer(server);
    }

    /** {@code http://127.0.0.1:<port>} */
    public String url() {
        return "http://" + LOOPBACK + ":" + port();
    }

    public int port() {
        return server.getPort();
    }

    /** A client owned by the server and closed with it; its default namespace is {@code default}. */
    public KubernetesClient client() {
        return client;
    }

    /** A new configuration pointing at this server and nothing else (no kubeconfig or environment is read). */
    public Config clientConfig() {
        return new ConfigBuilder(Config.empty())
                .withMasterUrl(url())
                .withNamespace(DEFAULT_NAMESPACE)
                .build();
    }

    /**
     * Creates the {@code apiextensions.k8s.io/v1} CustomResourceDefinition read from one YAML (or JSON)
     * document, after which its custom resources are served, with a status subresource if it declares one.
     */
    public CustomResourceDefinition installCrd(InputStream yaml) {
        return installCrd(yaml, "the given stream");
    }

    /**
     * {@link #installCrd(InputStream) Installs} the {@code *.yaml} and {@code *.yml} files of {@code dir}
     * in name order.
     */
    public List<CustomResourceDefinition> installCrds(Path dir) {
        List<CustomResourceDefinition> installed = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            List<Path> yamlFiles = entries
                    .filter(file -> file.getFileName().toString().matches(".*\\.ya?ml"))
                    .sorted()
                    .toList();
            for (Path file : yamlFiles) {
                try (InputStream yaml = Files.newInputStream(file)) {
                    installed.add(installCrd(yaml, file.toString()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return installed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        client.close();
        server.destroy();
    }

    private CustomResourceDefinition installCrd(InputStream yaml, String source) {
        CustomResourceDefinition crd =
                client.getKubernetesSerialization().unmarshal(yaml, CustomResourceDefinition.class);
        if (crd == null || !CRD_API_VERSION.equals(crd.getApiVersion()) || !CRD_KIND.equals(crd.getKind())) {
            throw new IllegalArgumentException(source + " does not hold an " + CRD_API_VERSION + " " + CRD_KIND);
        }
        return client.resource(crd).create();
    }
}
