package io.sluice.traffic.istio;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.sluice.crd.CrdSchemaValidator;
import io.sluice.traffic.RoutingTarget;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.sluice.traffic.istio.IstioFixtures.asMap;
import static io.sluice.traffic.istio.IstioFixtures.byHost;
import static io.sluice.traffic.istio.IstioFixtures.bySubset;
import static io.sluice.traffic.istio.IstioFixtures.checkoutDestinationRule;
import static io.sluice.traffic.istio.IstioFixtures.checkoutVirtualService;
import static io.sluice.traffic.istio.IstioFixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the router writes is valid for Istio: the VirtualServices and DestinationRules are checked
 * against Istio's own CRDs (version v1, OpenAPI schema and CEL rules), which live outside this
 * repository in {@code ../shared/fixtures/istio}. Skipped where that folder is absent.
 */
class IstioSchemaTest {

    private static final Path FIXTURES =
            Path.of(System.getProperty("sluice.project.dir", System.getProperty("user.dir")))
                    .resolve("../shared/fixtures/istio").normalize();
    private static final Path VIRTUAL_SERVICE_CRD = FIXTURES.resolve("virtualservices.networking.istio.io.yaml");
    private static final Path DESTINATION_RULE_CRD = FIXTURES.resolve("destinationrules.networking.istio.io.yaml");

    private static CrdSchemaValidator virtualServices;
    private static CrdSchemaValidator destinationRules;

    @BeforeAll
    static void istiosCrds() throws IOException {
        if (Files.isRegularFile(VIRTUAL_SERVICE_CRD) && Files.isRegularFile(DESTINATION_RULE_CRD)) {
            virtualServices = new CrdSchemaValidator(VIRTUAL_SERVICE_CRD, "v1");
            destinationRules = new CrdSchemaValidator(DESTINATION_RULE_CRD, "v1");
        }
    }

    // Per test rather than in @BeforeAll, so that test reports list every skipped test with the reason.
    @BeforeEach
    void skipWithoutIstiosCrds() {
        assumeTrue(virtualServices != null, "Istio's CRDs are not in " + FIXTURES);
    }

    @Test
    void theObjectsAsGitWritesThemAreValid() {
        assertThat(virtualServices.validate(asMap(checkoutVirtualService()))).isEmpty();
        assertThat(destinationRules.validate(asMap(checkoutDestinationRule()))).isEmpty();
    }

    @ParameterizedTest(name = "canary weight {0}")
    @ValueSource(ints = {0, 5, 50, 100})
    void weightedVirtualServicesAreValid(int canaryWeight) throws Exception {
        for (RoutingTarget target : List.of(byHost("primary", "admin"), bySubset("primary", "admin"))) {
            GenericKubernetesResource weighted = ManagedRoutes.weighted(checkoutVirtualService(), target, canaryWeight);

            assertThat(virtualServices.validate(asMap(weighted)))
                    .as("%s split at %d", target.istio().destinationRule == null ? "host" : "subset", canaryWeight)
                    .isEmpty();
        }
    }

    @Test
    void destinationRulesWithManagedSubsetsAreValid() {
        GenericKubernetesResource withoutSubsets = yaml("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: checkout, namespace: shop}
                spec: {host: checkout}
                """);

        assertThat(destinationRules.validate(asMap(ManagedSubsets.withLabels(checkoutDestinationRule(), bySubset()))))
                .isEmpty();
        assertThat(destinationRules.validate(asMap(ManagedSubsets.withLabels(withoutSubsets, bySubset())))).isEmpty();
    }

    /** The check has teeth: what Istio's schema forbids is reported. */
    @Test
    void whatIstiosSchemaForbidsIsReported() {
        GenericKubernetesResource broken = yaml("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: checkout}
                spec:
                  http:
                  - name: primary
                    match: [{uri: {exact: /cart, prefix: /}}]
                    timeout: 0.1ms
                    headers: {request: {set: {x-shop-tier: 3}}}
                    route:
                    - {destination: {port: {number: 8080}}, weight: "50"}
                """);

        List<String> violations = virtualServices.validate(asMap(broken));

        assertThat(violations).hasSize(5)
                .contains(".spec.http[0].timeout: must be a valid duration greater than 1ms",
                        ".spec.http[0].headers.request.set.x-shop-tier: must be of type string",
                        ".spec.http[0].route[0].destination: host is required",
                        ".spec.http[0].route[0].weight: must be of type integer")
                .anyMatch(v -> v.startsWith(".spec.http[0].match[0].uri: must satisfy exactly one of "));
    }
}
