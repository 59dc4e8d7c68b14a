package io.sluice;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.sluice.demo.SandboxDemo;
import io.sluice.sandbox.ClusterTarget;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * Starts the operator against the configured cluster, or, when there is none (or with
 * {@code --sandbox}), runs the no-cluster demo ({@link SandboxDemo}): the operator against an embedded
 * sandbox API with a real HAProxy and Prometheus, delivering two example releases ({@code --once}: then exit).
 */
@QuarkusMain
public class SluiceMain {
    private static final Logger LOG = Logger.getLogger(SluiceMain.class);

    public static void main(String... args) {
        boolean forceSandbox = Arrays.asList(args).contains("--sandbox")
                || "true".equalsIgnoreCase(System.getenv("SLUICE_SANDBOX"));
        Optional<String> cluster = forceSandbox ? Optional.empty()
                : ClusterTarget.configuredCluster(System.getenv(), Path.of(System.getProperty("user.home")));
        if (cluster.isPresent()) {
            if (cluster.get().startsWith("kubeconfig ")) { // a pod's own API server is not second-guessed
                Optional<String> problem = ClusterReachability.problem(cluster.get());
                if (problem.isPresent()) {
                    System.err.println(problem.get());
                    System.exit(1);
                }
            }
            LOG.infof("Using the cluster from %s", cluster.get());
            Quarkus.run(args);
            return;
        }
        runInSandbox(args);
    }

    private static void runInSandbox(String[] args) {
        Path projectDir = Path.of(System.getProperty("sluice.project.dir", ".")).toAbsolutePath().normalize();
        System.exit(SandboxDemo.run(projectDir, args));
    }
}
