package io.sluice.sandbox;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/** Decides where the operator runs: the cluster a kubeconfig (or the pod's service account) names, or the sandbox. */
public final class ClusterTarget {
    private static final Path SERVICE_ACCOUNT_TOKEN = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

    private ClusterTarget() {
    }

    /** Where the cluster configuration comes from, or empty when there is none. */
    public static Optional<String> configuredCluster(Map<String, String> env, Path home) {
        String kubeconfig = env.get("KUBECONFIG");
        if (kubeconfig != null && !kubeconfig.isBlank()) {
            return Arrays.stream(kubeconfig.split(java.io.File.pathSeparator))
                    .filter(p -> !p.isBlank() && Files.isRegularFile(Path.of(p)))
                    .findFirst().map(p -> "kubeconfig " + p);
        }
        Path defaultConfig = home.resolve(".kube/config");
        if (Files.isRegularFile(defaultConfig)) {
            return Optional.of("kubeconfig " + defaultConfig);
        }
        if (env.containsKey("KUBERNETES_SERVICE_HOST") && Files.isRegularFile(SERVICE_ACCOUNT_TOKEN)) {
            return Optional.of("the pod's service account");
        }
        return Optional.empty();
    }
}
