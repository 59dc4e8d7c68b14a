package io.sluice.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.core.RolloutFixtures;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A Rollout with a field this Sluice does not know, or a value of the wrong type, is read with that
 * field left out and the field named, instead of failing the read (and with it the list or watch
 * it came in).
 */
class UnknownFieldsTest {
    private final List<String> logged = new ArrayList<>();
    private final KubernetesSerialization lenient = new KubernetesSerialization(UnknownFields.tolerate(new ObjectMapper()), true);

    @Test
    void anUnknownFieldIsSkippedAndNamedByItsPath() {
        UnknownFields.logTo(logged::add);
        Rollout read = lenient.unmarshal(withTypo("r1", "7"), Rollout.class);

        assertThat(read.getSpec().strategy.canary.steps).hasSize(4);
        assertThat(read.getSpec().strategy.canary.steps.getFirst().pause).isNotNull();
        assertThat(read.getSpec().source.git.url).isEqualTo("https://git.example.com/shop.git");
        assertThat(UnknownFields.of(read)).containsExactly("spec.source.git.intervall", "spec.strategy.canary.steps[0].intervall");
        assertThat(logged).singleElement().asString()
                .contains("Rollout shop/r1", "spec.source.git.intervall", "spec.strategy.canary.steps[0].intervall");
    }

    @Test
    void aValueOfTheWrongTypeIsSkippedAndNamed() {
        String json = lenient.asJson(rollout("r2", "3"))
                .replace("\"setWeight\":10", "\"setWeight\":\"ten\"")
                .replace("\"phase\":\"Healthy\"", "\"phase\":\"Promoting\"");
        Rollout read = lenient.unmarshal(json, Rollout.class);

        assertThat(read.getSpec().strategy.canary.steps.getFirst().setWeight).isNull();
        assertThat(read.getStatus().phase).isNull();
        assertThat(UnknownFields.of(read)).anySatisfy(f -> assertThat(f).startsWith("spec.strategy.canary.steps[0].setWeight"))
                .anySatisfy(f -> assertThat(f).startsWith("status.phase").contains("\"Promoting\""));
    }

    @Test
    void oneBadRolloutInAListLeavesTheOthersReadable() {
        String list = "{\"apiVersion\":\"sluice.io/v1alpha1\",\"kind\":\"RolloutList\",\"metadata\":{},\"items\":["
                + lenient.asJson(rollout("good", "1")) + "," + withTypo("bad", "2") + "]}";
        var read = lenient.unmarshal(new java.io.ByteArrayInputStream(list.getBytes(java.nio.charset.StandardCharsets.UTF_8)), new com.fasterxml.jackson.core.type.TypeReference<
                io.fabric8.kubernetes.api.model.DefaultKubernetesResourceList<Rollout>>() { });

        assertThat(read.getItems()).extracting(r -> r.getMetadata().getName()).containsExactly("good", "bad");
        assertThat(UnknownFields.of(read.getItems().get(0))).isEmpty();
        assertThat(UnknownFields.of(read.getItems().get(1))).contains("spec.strategy.canary.steps[0].intervall");
    }

    @Test
    void aCopyOfTheObjectKeepsTheRecordAndANewVersionWithoutTheFieldClearsIt() {
        Rollout read = lenient.unmarshal(withTypo("r3", "5"), Rollout.class);
        Rollout copy = lenient.clone(read);
        assertThat(UnknownFields.of(copy)).as("the framework's copy").isNotEmpty();

        Rollout fixed = lenient.unmarshal(lenient.asJson(rollout("r3", "6")), Rollout.class);
        assertThat(UnknownFields.of(fixed)).isEmpty();
        assertThat(UnknownFields.of(copy)).as("the old version's record is gone").isEmpty();
    }

    @Test
    void withoutTheToleranceTheReadFails() {
        assertThatThrownBy(() -> new KubernetesSerialization().unmarshal(withTypo("r4", "1"), Rollout.class))
                .hasStackTraceContaining("intervall");
    }

    private Rollout rollout(String name, String resourceVersion) {
        Rollout r = RolloutFixtures.checkout("https://git.example.com/shop.git");
        r.getMetadata().setName(name);
        r.getMetadata().setResourceVersion(resourceVersion);
        r.setStatus(new io.sluice.api.v1alpha1.RolloutStatus());
        r.getStatus().phase = RolloutPhase.Healthy;
        return r;
    }

    private String withTypo(String name, String resourceVersion) {
        return lenient.asJson(rollout(name, resourceVersion))
                .replace("\"steps\":[", "\"steps\":[{\"intervall\":{\"seconds\":5},\"pause\":{}},")
                .replace("\"url\":", "\"intervall\":\"5m\",\"url\":");
    }
}
