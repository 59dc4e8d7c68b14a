package io.sluice.operator;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.sluice.analysis.MeasurementException;
import io.sluice.testing.kube.MockKubeApi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClusterSecretsMockTest {

    @RegisterExtension
    static final MockKubeApi api = MockKubeApi.start();

    private final ClusterSecrets secrets = new ClusterSecrets(api.client());

    @BeforeAll
    static void secrets() {
        api.client().secrets().inNamespace("shop").resource(new SecretBuilder()
                .withNewMetadata().withName("prom").endMetadata()
                .addToData("token", Base64.getEncoder().encodeToString("tok\n".getBytes(StandardCharsets.UTF_8)))
                .addToData("broken", "not base64!")
                .addToStringData("tenant", "acme")
                .build()).create();
    }

    @Test
    void readsDecodedDataAndStringData() throws MeasurementException {
        assertThat(secrets.value("shop", "prom", "token")).hasValue("tok\n");
        assertThat(secrets.value("shop", "prom", "tenant")).hasValue("acme");
    }

    @Test
    void aMissingSecretOrKeyIsEmpty() throws MeasurementException {
        assertThat(secrets.value("shop", "prom", "nope")).isEmpty();
        assertThat(secrets.value("shop", "nope", "token")).isEmpty();
        assertThat(secrets.value("other", "prom", "token")).isEmpty();
    }

    @Test
    void dataThatIsNotBase64IsNamedNotShown() {
        assertThatThrownBy(() -> secrets.value("shop", "prom", "broken"))
                .hasMessage("Secret shop/prom has a 'broken' in data that is not valid base64");
    }
}
