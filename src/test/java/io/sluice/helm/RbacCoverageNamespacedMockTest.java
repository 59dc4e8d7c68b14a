package io.sluice.helm;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.sluice.testing.time.MutableClock;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Namespaced mode: the operator, configured with the properties the chart renders for two watched
 * namespaces, sends only requests that the Roles in those namespaces (and the read-only ClusterRole)
 * grant; in particular no cluster-wide list or watch.
 */
@QuarkusTest
@QuarkusTestResource(value = RbacCoverageMockTest.RecordedApi.class, restrictToAnnotatedClass = true)
@TestProfile(RbacCoverageNamespacedMockTest.Namespaced.class)
class RbacCoverageNamespacedMockTest {
    static final String VALUES = "watchNamespaces: [rbac-a, rbac-b]\n";

    /** The chart's rendered quarkus.operator-sdk.* properties for {@link #VALUES}. */
    public static class Namespaced implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Properties rendered = RenderedChart.render(VALUES).properties();
            Map<String, String> out = new TreeMap<>();
            rendered.stringPropertyNames().stream().filter(k -> k.startsWith("quarkus.operator-sdk."))
                    .forEach(k -> out.put(k, rendered.getProperty(k)));
            return out;
        }
    }

    @Inject
    MutableClock clock;

    @Test
    void everyRequestTheOperatorMakesIsGrantedByTheRolesOfTheWatchedNamespaces() throws Exception {
        RbacCoverageMockTest.assertEveryRequestGranted(clock, VALUES);
    }
}
