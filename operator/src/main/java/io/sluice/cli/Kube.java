package io.sluice.cli;

import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.sluice.api.v1alpha1.Rollout;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/** A client for the cluster the kubeconfig (and --kubeconfig, --context, -n) names, as kubectl would pick it. */
final class Kube implements AutoCloseable {
    private static final String IN_CLUSTER_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    final KubernetesClient client;
    final String namespace;

    private Kube(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    static Kube connect(Path kubeconfig, String context, String namespace) {
        Config config = config(kubeconfig, context);
        // Fail fast, like kubectl: no retries with backoff against an unreachable server.
        config.setRequestRetryBackoffLimit(0);
        config.setConnectionTimeout(10_000);
        config.setRequestTimeout(30_000);
        String ns = namespace != null ? namespace : config.getNamespace() != null ? config.getNamespace() : "default";
        // Lenient reads: one Rollout with a field this plugin does not know still lists with the others.
        // No index of every Kubernetes kind on the class path (false): the plugin reads only the kinds it names.
        var serialization = new io.fabric8.kubernetes.client.utils.KubernetesSerialization(
                io.sluice.api.UnknownFields.tolerate(new com.fasterxml.jackson.databind.ObjectMapper()), false);
        // Fabric8's own Vert.x client, named rather than looked up: the lookup would find Quarkus's, on the
        // class path for the operator, and load Quarkus classes to run it.
        return new Kube(new KubernetesClientBuilder().withConfig(config).withKubernetesSerialization(serialization)
                .withHttpClientFactory(new VertxHttpClientFactory()).build(), ns);
    }

    private static Config config(Path kubeconfig, String context) {
        if (kubeconfig != null) {
            if (!Files.isRegularFile(kubeconfig)) {
                throw new CliException("kubeconfig file " + kubeconfig + " not found");
            }
            Config config = Config.fromKubeconfig(context, kubeconfig.toFile());
            checkContext(config, context, kubeconfig.toString());
            return config;
        }
        Collection<String> files = Config.getKubeconfigFilenames();
        boolean anyKubeconfig = files.stream().filter(Objects::nonNull).anyMatch(f -> Files.isRegularFile(Path.of(f)));
        boolean inCluster = System.getenv("KUBERNETES_SERVICE_HOST") != null && Files.isRegularFile(Path.of(IN_CLUSTER_TOKEN));
        if (!anyKubeconfig && !inCluster) {
            throw new CliException("no kubeconfig found (looked at " + (files.isEmpty() ? "~/.kube/config" : String.join(", ", files))
                    + "): set KUBECONFIG or pass --kubeconfig to say which cluster to talk to");
        }
        Config config = Config.autoConfigure(context);
        checkContext(config, context, String.join(", ", files));
        return config;
    }

    private static void checkContext(Config config, String context, String where) {
        if (context == null) {
            return;
        }
        List<NamedContext> contexts = config.getContexts() == null ? List.of() : config.getContexts();
        if (contexts.stream().noneMatch(c -> context.equals(c.getName()))) {
            throw new CliException("context \"" + context + "\" not found in the kubeconfig (" + where + ")");
        }
    }

    /** The Rollout, or a clear error when there is none. */
    Rollout rollout(String name) {
        Rollout rollout = client.resources(Rollout.class).inNamespace(namespace).withName(name).get();
        if (rollout == null) {
            throw notFound(name);
        }
        return rollout;
    }

    CliException notFound(String name) {
        return new CliException("rollout \"" + name + "\" not found in namespace \"" + namespace + "\"");
    }

    /** One line for a failed API call: unreachable server, refused credentials, missing CRDs, or the API's message. */
    static String describe(KubernetesClientException e) {
        String server = "the Kubernetes API";
        Throwable cause = e;
        while (cause != null) {
            if (cause instanceof ConnectException || cause instanceof UnknownHostException
                    || cause instanceof java.net.http.HttpConnectTimeoutException
                    || cause instanceof java.nio.channels.UnresolvedAddressException
                    || cause instanceof IOException && cause.getMessage() != null
                    && (cause.getMessage().contains("Connection refused") || cause.getMessage().contains("Failed to connect"))) {
                return "cannot reach " + server + ": " + Objects.requireNonNullElse(cause.getMessage(),
                        cause.getClass().getSimpleName()) + " (is the cluster running, and is the kubeconfig's context the right one?)";
            }
            cause = cause.getCause() == cause ? null : cause.getCause();
        }
        return switch (e.getCode()) {
            case 401 -> "the Kubernetes API refused the credentials of the kubeconfig (401 Unauthorized)";
            case 403 -> "not allowed: " + apiMessage(e);
            case 404 -> apiMessage(e) + " (are Sluice's CRDs installed? `kubectl get crd rollouts.sluice.io`)";
            default -> apiMessage(e);
        };
    }

    private static String apiMessage(KubernetesClientException e) {
        if (e.getStatus() != null && e.getStatus().getMessage() != null && !e.getStatus().getMessage().isBlank()) {
            return e.getStatus().getMessage();
        }
        String message = e.getMessage();
        if (message == null) {
            return "the Kubernetes API answered " + e.getCode();
        }
        // Fabric8 appends the whole request and response; keep the first sentence.
        int cut = message.indexOf(". Received status");
        return cut > 0 ? message.substring(0, cut) : message.lines().findFirst().orElse(message);
    }

    @Override
    public void close() {
        client.close();
    }
}
