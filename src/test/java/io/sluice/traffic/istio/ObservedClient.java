package io.sluice.traffic.istio;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * A Kubernetes client that records the writes it sends, in the order the API server answered them,
 * and lets a test act (as another writer) just before each request goes out. Fabric8 calls an
 * interceptor's {@code before} on the thread that sends the request, so whatever the hook does is
 * done before the request reaches the server.
 */
final class ObservedClient implements AutoCloseable {

    /** One write request and the API server's answer. */
    record Write(String method, String path, int code) {
        boolean to(String resourcePlural) {
            return path.contains("/" + resourcePlural + "/");
        }
    }

    private final List<Write> writes = new CopyOnWriteArrayList<>();
    private volatile BiConsumer<String, String> beforeRequest = (method, path) -> { };
    private final KubernetesClient client;

    ObservedClient(Config config) {
        client = new KubernetesClientBuilder().withConfig(config)
                .withHttpClientBuilderConsumer(builder -> builder.addOrReplaceInterceptor("observer", new Observer()))
                .build();
    }

    KubernetesClient client() {
        return client;
    }

    /** Runs {@code hook(method, path)} before every following request. */
    void beforeRequest(BiConsumer<String, String> hook) {
        beforeRequest = hook;
    }

    /** PUT, POST, PATCH and DELETE requests answered so far, oldest first. */
    List<Write> writes() {
        return List.copyOf(writes);
    }

    @Override
    public void close() {
        client.close();
    }

    private final class Observer implements Interceptor {
        @Override
        public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            beforeRequest.accept(request.method(), request.uri().getPath());
        }

        @Override
        public void after(HttpRequest request, HttpResponse<?> response,
                AsyncBody.Consumer<List<ByteBuffer>> consumer) {
            if (!request.method().equals("GET")) {
                writes.add(new Write(request.method(), request.uri().getPath(), response.code()));
            }
        }
    }
}
