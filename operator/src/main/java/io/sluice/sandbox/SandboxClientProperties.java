package io.sluice.sandbox;

import java.util.List;

/**
 * Points the operator's Kubernetes client at the sandbox API through Fabric8's own system
 * properties (read when the client is configured at startup), and keeps it from picking up a
 * kubeconfig or service account, whose credentials must not be sent to the sandbox.
 */
public final class SandboxClientProperties {
    private static final List<String> KEYS = List.of("kubernetes.master", "kubernetes.namespace",
            "kubernetes.auth.tryKubeConfig", "kubernetes.auth.tryServiceAccount");

    private SandboxClientProperties() {
    }

    public static void pointAt(String url) {
        System.setProperty("kubernetes.master", url);
        System.setProperty("kubernetes.namespace", "default");
        System.setProperty("kubernetes.auth.tryKubeConfig", "false");
        System.setProperty("kubernetes.auth.tryServiceAccount", "false");
    }

    public static void clear() {
        KEYS.forEach(System::clearProperty);
    }
}
