package io.sluice;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.util.Optional;

/**
 * Before the operator starts against a kubeconfig's cluster, one request to {@code /version} tells
 * whether that cluster answers at all. A stale or unreachable kubeconfig is the most common first
 * mistake; it gets one line naming the cluster and the way to run without one, instead of the
 * operator's stack traces.
 */
final class ClusterReachability {
    private static final int TIMEOUT_MILLIS = 5_000;

    private ClusterReachability() {
    }

    /** Empty when the cluster answered; otherwise the line to print. */
    static Optional<String> problem(String source) {
        Config config;
        try {
            config = Config.autoConfigure(null);
        } catch (RuntimeException e) {
            return Optional.of("sluice: the " + source + " cannot be read (" + firstLine(e) + "). "
                    + "To try Sluice without a cluster: ./sluice run --sandbox");
        }
        config.setConnectionTimeout(TIMEOUT_MILLIS);
        config.setRequestTimeout(TIMEOUT_MILLIS);
        config.setRequestRetryBackoffLimit(0);
        String where = config.getMasterUrl() + " (" + source
                + (config.getCurrentContext() != null ? ", context " + config.getCurrentContext().getName() : "") + ")";
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
            client.getKubernetesVersion();
            return Optional.empty();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 401 || e.getCode() == 403) {
                return Optional.of("sluice: the Kubernetes API at " + where + " refused the credentials (HTTP "
                        + e.getCode() + "). Log in again, or try Sluice without a cluster: ./sluice run --sandbox");
            }
            if (e.getCode() > 0) {
                return Optional.empty(); // it answered: whatever else is wrong, the operator will say
            }
            return Optional.of(unreachable(where, e));
        } catch (RuntimeException e) {
            return Optional.of(unreachable(where, e));
        }
    }

    private static String unreachable(String where, Throwable e) {
        return "sluice: cannot reach the Kubernetes API at " + where + ": " + firstLine(e)
                + ". To try Sluice without a cluster: ./sluice run --sandbox";
    }

    /** The innermost cause's message, on one line. */
    private static String firstLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        String line = message.lines().findFirst().orElse("").strip();
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }
}
