package io.sluice;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.sluice.sandbox.ClusterTarget;
import io.sluice.sandbox.SandboxApiServer;
import io.sluice.sandbox.SandboxClientProperties;
import io.sluice.sandbox.SandboxDeploymentController;
import io.sluice.sandbox.SandboxSeed;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Optional;

/**
 * Starts the operator against the configured cluster, or, when there is none (or with
 * {@code --sandbox}), against an embedded sandbox API seeded with the example Rollout.
 */
@QuarkusMain
public class SluiceMain {
    private static final Logger LOG = Logger.getLogger(SluiceMain.class);

    public static void main(String... args) throws IOException {
        boolean forceSandbox = Arrays.asList(args).contains("--sandbox")
                || "true".equalsIgnoreCase(System.getenv("SLUICE_SANDBOX"));
        Optional<String> cluster = forceSandbox ? Optional.empty()
                : ClusterTarget.configuredCluster(System.getenv(), Path.of(System.getProperty("user.home")));
        if (cluster.isPresent()) {
            LOG.infof("Using the cluster from %s", cluster.get());
            Quarkus.run(args);
            return;
        }
        runInSandbox(args);
    }

    private static void runInSandbox(String[] args) throws IOException {
        Path projectDir = Path.of(System.getProperty("sluice.project.dir", ".")).toAbsolutePath().normalize();
        Path workDir = Files.createTempDirectory("sluice-sandbox");
        try (SandboxApiServer sandbox = SandboxApiServer.start();
             SandboxDeploymentController deployments = new SandboxDeploymentController(sandbox.client())) {
            sandbox.installCrds(projectDir.resolve("crds"));
            var seeded = SandboxSeed.seed(sandbox.client(), projectDir.resolve("examples/checkout"), workDir);
            LOG.infof("No Kubernetes cluster configured (no KUBECONFIG, ~/.kube/config or service account): running "
                    + "against an embedded SANDBOX API at %s. It is an in-memory stand-in (Fabric8's mock server): no "
                    + "pods run (a stand-in Deployment controller reports every Deployment available), nothing is "
                    + "persisted. Seeded Rollout shop/%s from examples/checkout, reading Git "
                    + "repository %s at %s.", sandbox.url(), seeded.rollout().getMetadata().getName(), seeded.gitUrl(),
                    seeded.revision().substring(0, 12));
            Path kubeconfig = sandbox.writeKubeconfig(workDir.resolve("kubeconfig"), seeded.rollout().getMetadata().getNamespace());
            LOG.infof("kubectl and the kubectl sluice plugin work against the sandbox: export KUBECONFIG=%s", kubeconfig);
            SandboxClientProperties.pointAt(sandbox.url());
            System.setProperty("sluice.git.allow-file-urls", "true"); // the example is served from a local repository
            Quarkus.run(args);
        } finally {
            try (var files = Files.walk(workDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
