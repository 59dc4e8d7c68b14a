package io.sluice.sandbox;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.testing.kube.MockKubeApi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The kubectl commands of docs/getting-started.md, run as written (with the real kubectl binary; skipped
 * when it is not installed) against the sandbox API, in the order of the guide: create and label the
 * namespace, create the Git Secret, apply the AnalysisTemplate and the Rollout (with kubectl's default
 * {@code --validate=strict}), get, describe with events, watch the Rollouts and the Rollout's events.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubectlAgainstSandboxTest {
    @RegisterExtension
    static final MockKubeApi API = MockKubeApi.start();

    @TempDir
    static Path dir;
    private static Path kubeconfig;
    private static final Path PROJECT = Path.of(System.getProperty("sluice.project.dir", System.getProperty("user.dir")));

    @BeforeAll
    static void kubeconfig() {
        assumeTrue(kubectl() != null, "kubectl is not installed");
        kubeconfig = API.server().writeKubeconfig(dir.resolve("kubeconfig"), "default");
    }

    @Test
    @Order(1)
    void step4CreateAndLabelTheNamespace() throws Exception {
        // kubectl sends this body as protobuf, and does not fall back to JSON
        Result create = kubectl("create", "namespace", "shop");
        assertThat(create.code()).as(create.toString()).isZero();
        assertThat(create.out()).isEqualTo("namespace/shop created\n");

        Result label = kubectl("label", "namespace", "shop", "istio-injection=enabled");
        assertThat(label.code()).as(label.toString()).isZero();
        assertThat(API.client().namespaces().withName("shop").get().getMetadata().getLabels())
                .containsEntry("istio-injection", "enabled");
    }

    @Test
    @Order(2)
    void step5CreateTheGitSecretFromLiteralsOrFiles() throws Exception {
        Result literals = kubectl("-n", "shop", "create", "secret", "generic", "checkout-git",
                "--from-literal=username=git", "--from-literal=password=s3cr3t");
        assertThat(literals.code()).as(literals.toString()).isZero();
        assertThat(literals.out()).isEqualTo("secret/checkout-git created\n");
        Secret secret = API.client().secrets().inNamespace("shop").withName("checkout-git").get();
        assertThat(secret.getType()).isEqualTo("Opaque");
        assertThat(new String(Base64.getDecoder().decode(secret.getData().get("password")), StandardCharsets.UTF_8))
                .isEqualTo("s3cr3t");

        Files.writeString(dir.resolve("deploy_key"), "-----BEGIN OPENSSH PRIVATE KEY-----\n");
        Files.writeString(dir.resolve("known_hosts"), "git.example.com ssh-ed25519 AAAA\n");
        Result files = kubectl("-n", "shop", "create", "secret", "generic", "checkout-git-ssh",
                "--from-file=identity=" + dir.resolve("deploy_key"), "--from-file=known_hosts=" + dir.resolve("known_hosts"));
        assertThat(files.code()).as(files.toString()).isZero();
        assertThat(API.client().secrets().inNamespace("shop").withName("checkout-git-ssh").get().getData())
                .containsOnlyKeys("identity", "known_hosts");
    }

    @Test
    @Order(3)
    void step6And7ApplyTheExamplesWithKubectlsDefaultValidation() throws Exception {
        Result template = kubectl("apply", "-f", PROJECT.resolve("examples/checkout/analysis-template.yaml").toString());
        assertThat(template.code()).as(template.toString()).isZero();
        assertThat(template.out()).isEqualTo("analysistemplate.sluice.io/http-slo created\n");

        Result rollout = kubectl("apply", "-f", PROJECT.resolve("examples/checkout/rollout.yaml").toString());
        assertThat(rollout.code()).as(rollout.toString()).isZero();
        assertThat(rollout.out()).isEqualTo("rollout.sluice.io/checkout created\n");

        Result again = kubectl("apply", "-f", PROJECT.resolve("examples/checkout/rollout.yaml").toString());
        assertThat(again.out()).as(again.toString()).isEqualTo("rollout.sluice.io/checkout unchanged\n");

        Result list = kubectl("-n", "shop", "get", "rollouts");
        assertThat(list.code()).as(list.toString()).isZero();
        assertThat(list.out()).containsPattern("(?m)^NAME\\s+PHASE\\s+WEIGHT\\s+STEP\\s+STABLE\\s+CANARY\\s+AGE$")
                .containsPattern("(?m)^checkout\\s+\\d+s$");
    }

    @Test
    @Order(4)
    void step7DescribeShowsTheRolloutsEvents() throws Exception {
        Rollout rollout = API.client().resources(Rollout.class).inNamespace("shop").withName("checkout").get();
        API.client().v1().events().inNamespace("shop").resource(event("checkout.1", rollout, "SecretNotFound",
                "Warning", "secret shop/checkout-git has no key token")).create();
        API.client().v1().events().inNamespace("shop").resource(new EventBuilder(event("other.1", rollout, "Unrelated",
                "Normal", "about another object")).editInvolvedObject().withKind("Deployment").withUid("x").endInvolvedObject()
                .build()).create();

        Result describe = kubectl("-n", "shop", "describe", "rollout", "checkout");
        assertThat(describe.code()).as(describe.toString()).isZero();
        String events = describe.out().substring(describe.out().indexOf("\nEvents:"));
        assertThat(events).as(describe.out()).containsPattern("Warning\\s+SecretNotFound\\s+\\S+\\s+sluice\\s+secret shop/checkout-git")
                .doesNotContain("Unrelated");
    }

    @Test
    @Order(5)
    void step8EventsWithTheFieldSelector() throws Exception {
        Result events = kubectl("-n", "shop", "get", "events", "--field-selector",
                "involvedObject.kind=Rollout,involvedObject.name=checkout");
        assertThat(events.code()).as(events.toString()).isZero();
        assertThat(events.out().lines().toList()).as(events.toString()).hasSize(2);
        assertThat(events.out()).containsPattern("(?m)^LAST SEEN\\s+TYPE\\s+REASON\\s+OBJECT\\s+MESSAGE$")
                .containsPattern("Warning\\s+SecretNotFound\\s+rollout/checkout\\s+secret shop/checkout-git has no key token");

        Result others = kubectl("-n", "shop", "get", "events", "--field-selector", "involvedObject.kind!=Rollout", "-o", "name");
        assertThat(others.out()).as(others.toString()).isEqualTo("event/other.1\n");
    }

    @Test
    @Order(6)
    void step8WatchTheRolloutsAndItsEvents() throws Exception {
        KubernetesClient client = API.client();
        Result rollouts = kubectlWhile(out -> out.contains("Progressing"), () -> {
            Rollout r = client.resources(Rollout.class).inNamespace("shop").withName("checkout").get();
            if (r.getStatus() == null) {
                r.setStatus(new io.sluice.api.v1alpha1.RolloutStatus());
            }
            r.getStatus().phase = RolloutPhase.Progressing;
            r.getStatus().canaryWeight = 5;
            r.getStatus().currentStepIndex = 0;
            client.resource(r).updateStatus();
        }, "-n", "shop", "get", "rollouts", "-w");
        List<String> lines = rollouts.out().lines().toList();
        assertThat(lines).as(rollouts.toString()).hasSize(3);
        assertThat(lines.get(1)).as("the list first").matches("checkout\\s+\\d+s");
        assertThat(lines.get(2)).as("then the update, as a row of the same table")
                .matches("checkout\\s+Progressing\\s+5\\s+(\\S+\\s+)?\\d+s");
        assertThat(rollouts.err()).doesNotContain("Error");

        Rollout rollout = client.resources(Rollout.class).inNamespace("shop").withName("checkout").get();
        Result events = kubectlWhile(out -> out.contains("CanaryStarted"), () -> {
            client.v1().events().inNamespace("shop").resource(new EventBuilder(event("other.2", rollout, "Noise", "Normal",
                    "not about the Rollout")).editInvolvedObject().withKind("Deployment").endInvolvedObject().build()).create();
            client.v1().events().inNamespace("shop").resource(event("checkout.2", rollout, "CanaryStarted", "Normal",
                    "canary 2222222 at 5%")).create();
        }, "-n", "shop", "get", "events", "--field-selector", "involvedObject.kind=Rollout,involvedObject.name=checkout", "-w");
        assertThat(events.out()).as(events.toString()).containsPattern("SecretNotFound")
                .containsPattern("(?m)^\\S+\\s+Normal\\s+CanaryStarted\\s+rollout/checkout\\s+canary 2222222 at 5%$")
                .doesNotContain("Noise");
        assertThat(events.err()).doesNotContain("Error");
    }

    private static Event event(String name, Rollout about, String reason, String type, String message) {
        String now = Instant.now().toString();
        return new EventBuilder().withNewMetadata().withName(name).withNamespace("shop").endMetadata()
                .withNewInvolvedObject().withApiVersion("sluice.io/v1alpha1").withKind("Rollout")
                .withName(about.getMetadata().getName()).withNamespace("shop").withUid(about.getMetadata().getUid())
                .endInvolvedObject().withReason(reason).withType(type).withMessage(message).withFirstTimestamp(now)
                .withLastTimestamp(now).withCount(1).withNewSource().withComponent("sluice").endSource().build();
    }

    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    private static String kubectl() {
        for (String entry : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(entry, "kubectl");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    private static Result kubectl(String... args) throws IOException, InterruptedException {
        Process process = start(args);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish within 30s: " + result(process));
        }
        return result(process);
    }

    /**
     * Runs a kubectl that does not end by itself ({@code -w}): once it has printed its first lines, runs
     * {@code change}, then stops kubectl when its output satisfies {@code done} or after 15 seconds.
     */
    private static Result kubectlWhile(Predicate<String> done, Runnable change, String... args) throws Exception {
        Process process = start(args);
        try {
            Instant deadline = Instant.now().plus(Duration.ofSeconds(15));
            while (Files.readString(dir.resolve("out")).lines().count() < 2 && process.isAlive()
                    && Instant.now().isBefore(deadline)) {
                Thread.sleep(100);
            }
            Thread.sleep(500); // the watch follows the list
            change.run();
            while (!done.test(Files.readString(dir.resolve("out"))) && process.isAlive() && Instant.now().isBefore(deadline)) {
                Thread.sleep(100);
            }
            Thread.sleep(300); // anything it would print after (it should not)
            return result(process);
        } finally {
            process.destroy();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static Process start(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(kubectl(), "--kubeconfig", kubeconfig.toString(),
                "--cache-dir", dir.resolve("kube-cache").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile());
        builder.environment().put("HOME", dir.toString()); // no ~/.kube of the machine's user
        builder.environment().remove("KUBECONFIG");
        return builder.start();
    }

    private static Result result(Process process) throws IOException {
        return new Result(process.isAlive() ? -1 : process.exitValue(), Files.readString(dir.resolve("out")),
                Files.readString(dir.resolve("err")));
    }
}
