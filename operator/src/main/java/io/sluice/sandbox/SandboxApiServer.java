package io.sluice.sandbox;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

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
 * the status subresource of custom resources whose CRD has been installed. It answers discovery
 * ({@link SandboxDiscovery}: {@code /version}, {@code /api}, {@code /apis}, ...) so that kubectl works against it
 * ({@link #writeKubeconfig}). It has no admission, schema validation, server-side apply, strategic merge patch,
 * field selectors other than on names, or garbage collection.
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
        DiscoveringDispatcher dispatcher = new DiscoveringDispatcher(new JsonMergePatchCrudDispatcher());
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                dispatcher, false);
        server.init(new InetSocketAddress(LOOPBACK, port).getAddress(), port);
        SandboxApiServer sandbox = new SandboxApiServer(server);
        dispatcher.discovery = new SandboxDiscovery(sandbox.client.getKubernetesSerialization(),
                () -> dispatcher.crud.handleGet(SandboxDiscovery.crdListPath()).getBody().readUtf8(),
                LOOPBACK + ":" + server.getPort());
        return sandbox;
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
     * Writes a kubeconfig for kubectl (and {@code kubectl sluice}) whose current context, {@code sandbox},
     * points at this server with {@code namespace} as its namespace. No credentials: the sandbox checks none.
     */
    public Path writeKubeconfig(Path file, String namespace) {
        return writeKubeconfig(file, url(), namespace);
    }

    /**
     * Writes a kubeconfig whose current context, {@code sandbox}, points at {@code server} with {@code namespace}
     * as its namespace, plus one more context per {@code otherNamespaces} entry, named after that namespace, on
     * the same server. No credentials: the sandbox checks none.
     */
    public static Path writeKubeconfig(Path file, String server, String namespace, String... otherNamespaces) {
        StringBuilder contexts = new StringBuilder(context("sandbox", namespace));
        for (String other : otherNamespaces) {
            contexts.append(context(other, other));
        }
        String yaml = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: sandbox
                  cluster:
                    server: %s
                users:
                - name: sandbox
                  user: {}
                contexts:
                %scurrent-context: sandbox
                """.formatted(server, contexts);
        try {
            Files.writeString(file, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    private static String context(String name, String namespace) {
        return """
                - name: %s
                  context:
                    cluster: sandbox
                    user: sandbox
                    namespace: %s
                """.formatted(name, namespace);
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

    /** Answers discovery requests itself and hands everything else to the CRUD dispatcher. */
    private static final class DiscoveringDispatcher extends Dispatcher {
        final JsonMergePatchCrudDispatcher crud;
        volatile SandboxDiscovery discovery;

        DiscoveringDispatcher(JsonMergePatchCrudDispatcher crud) {
            this.crud = crud;
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            SandboxDiscovery d = discovery;
            String accept = request.getHeader("Accept");
            if (d != null && request.method() == HttpMethod.GET && accept != null && accept.contains("as=Table")
                    && !request.getPath().matches(".*[?&]watch=(true|1).*")) {
                var table = d.table(request.getPath(), path -> {
                    MockResponse stored = crud.handleGet(path);
                    return new SandboxDiscovery.Answer(stored.code(), stored.getBody().readUtf8());
                }, java.time.Instant.now());
                if (table.isPresent()) {
                    return new MockResponse().setResponseCode(table.get().code())
                            .setHeader("Content-Type", "application/json").setBody(table.get().body());
                }
            }
            if (d != null && request.method() == HttpMethod.GET) {
                var answer = d.answer(request.getPath());
                if (answer.isPresent()) {
                    return new MockResponse().setResponseCode(answer.get().code())
                            .setHeader("Content-Type", "application/json").setBody(answer.get().body());
                }
            }
            return crud.dispatch(request);
        }

        @Override
        public void shutdown() {
            crud.shutdown();
        }
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
