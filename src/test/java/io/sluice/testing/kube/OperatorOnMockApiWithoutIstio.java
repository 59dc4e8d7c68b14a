package io.sluice.testing.kube;

import java.util.Map;

/** {@link OperatorOnMockApi} on an API server that does not serve Istio's kinds, as a cluster without Istio. */
public class OperatorOnMockApiWithoutIstio extends OperatorOnMockApi {
    @Override
    public Map<String, String> start() {
        Map<String, String> properties = super.start();
        mockApi().server().serveIstio(false);
        return properties;
    }
}
