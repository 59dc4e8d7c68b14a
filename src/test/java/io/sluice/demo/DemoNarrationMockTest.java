package io.sluice.demo;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.api.v1alpha1.Condition;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.api.v1alpha1.RolloutStatus;
import io.sluice.crd.CrdGeneration;
import io.sluice.demo.dataplane.HAProxyFixture;
import io.sluice.demo.dataplane.VirtualServiceBridge;
import io.sluice.testing.kube.MockKubeApi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The demo's narration of the sandbox's Rollouts, read from the API as the demo reads it: every change of
 * a condition (type, status, reason) or of the status message is one line, whatever the phase does, for
 * the demo's Rollout and, named, for any other; what did not change is not told again.
 */
class DemoNarrationMockTest {
    private static final String INVALID = "apps/checkout/config.yaml: metadata.name is missing";
    private static final String NOT_READABLE = "the workload and VirtualService are checked once the source can be read";
    private static final String NO_WORKLOAD = "Deployment checkout is not among the manifests at path 'apps/checkout' "
            + "(found: ConfigMap checkout)";

    @RegisterExtension
    final MockKubeApi api = MockKubeApi.start();
    private final ByteArrayOutputStream narration = new ByteArrayOutputStream();
    private RolloutNarrator narrator;

    @BeforeEach
    void startNarrating() {
        KubernetesClient client = api.client();
        // not started: no traffic is routed in these tests
        var bridge = new VirtualServiceBridge(client, "shop", "checkout", "primary",
                VirtualServiceBridge.Versions.byHost("checkout-stable", "checkout-canary"),
                new HAProxyFixture("127.0.0.1:1", "127.0.0.1:2"));
        narrator = new RolloutNarrator(client, "shop", "checkout", bridge,
                new DemoOutput(new PrintStream(narration, true, StandardCharsets.UTF_8), Clock.systemUTC())).start();
    }

    @AfterEach
    void stopNarrating() {
        narrator.close();
    }

    @Test
    void aFixFromAnInvalidManifestToAMissingWorkloadIsToldThoughThePhaseStaysDegraded() throws IOException {
        create("shop", "checkout");
        setStatus("shop", "checkout", status(RolloutPhase.Degraded, INVALID,
                condition("ReferencesResolved", Condition.UNKNOWN, "SourceNotReady", NOT_READABLE),
                condition("SourceReady", Condition.FALSE, "InvalidManifest", INVALID)));
        awaitLines("rollout  Degraded: " + INVALID,
                "condition ReferencesResolved=Unknown (SourceNotReady): " + NOT_READABLE,
                "condition SourceReady=False (InvalidManifest)"); // its message is the Rollout's, just told

        // the manifest fixed: the source reads, the workload is not among its objects
        setStatus("shop", "checkout", status(RolloutPhase.Degraded, NO_WORKLOAD,
                condition("ReferencesResolved", Condition.FALSE, "WorkloadNotFound", NO_WORKLOAD),
                condition("SourceReady", Condition.TRUE, "Fetched", "revision 1a2b3c4d5e6f of refs/heads/main: 1 object(s)")));
        awaitLines("rollout  Degraded: " + NO_WORKLOAD,
                "condition ReferencesResolved=False (WorkloadNotFound)",
                "condition SourceReady=True (Fetched): revision 1a2b3c4d5e6f of refs/heads/main: 1 object(s)");

        // written again with nothing a reader cares about changed (a later generation): nothing more is told
        RolloutStatus same = status(RolloutPhase.Degraded, NO_WORKLOAD,
                condition("ReferencesResolved", Condition.FALSE, "WorkloadNotFound", NO_WORKLOAD),
                condition("SourceReady", Condition.TRUE, "Fetched", "revision 1a2b3c4d5e6f of refs/heads/main: 1 object(s)"));
        same.observedGeneration = 2L;
        same.conditions.forEach(c -> c.observedGeneration = 2L);
        setStatus("shop", "checkout", same);
        settle();
        // only a reason changes: one line
        setStatus("shop", "checkout", status(RolloutPhase.Degraded, NO_WORKLOAD,
                condition("ReferencesResolved", Condition.FALSE, "WorkloadNotFound", NO_WORKLOAD),
                condition("SourceReady", Condition.TRUE, "Cached", "revision 1a2b3c4d5e6f of refs/heads/main: 1 object(s)")));
        awaitLines("condition SourceReady=True (Cached): revision 1a2b3c4d5e6f of refs/heads/main: 1 object(s)");
        // only the message changes: one line
        setStatus("shop", "checkout", status(RolloutPhase.Degraded, NO_WORKLOAD + "; retrying",
                condition("ReferencesResolved", Condition.FALSE, "WorkloadNotFound", NO_WORKLOAD),
                condition("SourceReady", Condition.TRUE, "Cached", "revision 1a2b3c4d5e6f of refs/heads/main: 1 object(s)")));
        awaitLines("rollout  Degraded: " + NO_WORKLOAD + "; retrying");

        settle();
        assertThat(lines()).containsExactly(
                "rollout  Degraded: " + INVALID,
                "condition ReferencesResolved=Unknown (SourceNotReady): " + NOT_READABLE,
                "condition SourceReady=False (InvalidManifest)",
                "rollout  Degraded: " + NO_WORKLOAD,
                "condition ReferencesResolved=False (WorkloadNotFound)",
                "condition SourceReady=True (Fetched): revision 1a2b3c4d5e6f of refs/heads/main: 1 object(s)",
                "condition SourceReady=True (Cached): revision 1a2b3c4d5e6f of refs/heads/main: 1 object(s)",
                "rollout  Degraded: " + NO_WORKLOAD + "; retrying");
    }

    @Test
    void rolloutsAUserAppliedAreToldTheSameWayUnderTheirNames() throws IOException {
        create("shop", "checkout");
        setStatus("shop", "checkout", status(RolloutPhase.Healthy, "revision 1a2b3c4d5e6f is stable and serves all traffic"));
        create("shop", "payments");
        setStatus("shop", "payments", status(RolloutPhase.Degraded, "config.yaml: metadata.name is missing",
                condition("SourceReady", Condition.FALSE, "InvalidManifest", "config.yaml: metadata.name is missing")));
        create("other", "payments");
        setStatus("other", "payments", status(RolloutPhase.Healthy, "revision 1a2b3c4d5e6f is stable and serves all traffic"));
        // a Rollout with a field this Sluice does not know: the operator reads it leniently, so does the demo
        create("shop", "typo");
        setStatus("shop", "typo", status(RolloutPhase.Pending, "waiting for the source"));
        api.client().genericKubernetesResources("sluice.io/v1alpha1", "Rollout").inNamespace("shop").withName("typo")
                .edit(r -> {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> spec = (Map<String, Object>) r.getAdditionalProperties().get("spec");
                    spec.put("colour", "blue");
                    return r;
                });

        awaitLines("rollout  Healthy: revision 1a2b3c4d5e6f is stable and serves all traffic",
                "rollout  payments: Degraded: config.yaml: metadata.name is missing",
                "condition payments: SourceReady=False (InvalidManifest)",
                "rollout  other/payments: Healthy: revision 1a2b3c4d5e6f is stable and serves all traffic",
                "rollout  typo: Pending: waiting for the source");

        setStatus("shop", "payments", status(RolloutPhase.Degraded, NO_WORKLOAD,
                condition("SourceReady", Condition.TRUE, "Fetched", "revision 1a2b3c4d5e6f of refs/heads/main: 1 object(s)"),
                condition("ReferencesResolved", Condition.FALSE, "WorkloadNotFound", NO_WORKLOAD)));
        awaitLines("rollout  payments: Degraded: " + NO_WORKLOAD,
                "condition payments: ReferencesResolved=False (WorkloadNotFound)",
                "condition payments: SourceReady=True (Fetched): revision 1a2b3c4d5e6f of refs/heads/main: 1 object(s)");
        api.client().resources(Rollout.class).inNamespace("other").withName("payments").delete();
        awaitLines("rollout  other/payments: deleted");

        settle();
        assertThat(lines()).as("told once each").doesNotHaveDuplicates()
                .as("the demo's own Rollout is told without its name").noneMatch(line -> line.contains("checkout: "));
    }

    private void create(String namespace, String name) throws IOException {
        Rollout rollout = api.client().getKubernetesSerialization().unmarshal(
                Files.readString(CrdGeneration.projectDir().resolve("examples/checkout/demo/rollout.yaml")), Rollout.class);
        rollout.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
        api.client().resource(rollout).create();
    }

    private void setStatus(String namespace, String name, RolloutStatus status) {
        Rollout rollout = api.client().resources(Rollout.class).inNamespace(namespace).withName(name).get();
        rollout.setStatus(status);
        api.client().resource(rollout).updateStatus();
    }

    private static RolloutStatus status(RolloutPhase phase, String message, Condition... conditions) {
        RolloutStatus status = new RolloutStatus();
        status.phase = phase;
        status.message = message;
        status.conditions = new ArrayList<>(List.of(conditions));
        return status;
    }

    private static Condition condition(String type, String status, String reason, String message) {
        Condition condition = new Condition(type, status, reason, message);
        condition.observedGeneration = 1L;
        condition.lastTransitionTime = "2026-01-01T00:00:00Z";
        return condition;
    }

    private void awaitLines(String... expected) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(lines()).contains(expected));
    }

    /** Time for several more looks, in which nothing new should be told. */
    private static void settle() {
        try {
            Thread.sleep(RolloutNarrator.CATCH_UP.multipliedBy(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What was told, without the timestamps. */
    private List<String> lines() {
        return narration.toString(StandardCharsets.UTF_8).lines().map(line -> line.substring(line.indexOf("  ") + 2))
                .toList();
    }
}
