package io.sluice.sandbox;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The protobuf bodies kubectl 1.32 sent to the sandbox (captured), read as the JSON objects they stand for. */
class KubernetesProtobufTest {

    @Test
    void kubectlCreateNamespace() {
        Map<String, Object> ns = KubernetesProtobuf.decode(HexFormat.of().parseHex(
                "6b3873000a0f0a02763112094e616d657370616365121d0a150a0573686f703212001a0022002a0032003800420012001a020a001a002200"))
                .orElseThrow();
        assertThat(ns).containsEntry("apiVersion", "v1").containsEntry("kind", "Namespace");
        assertThat(ns.get("metadata")).isEqualTo(Map.of("name", "shop2"));
    }

    @Test
    void kubectlCreateSecretFromLiterals() {
        Map<String, Object> secret = KubernetesProtobuf.decode(HexFormat.of().parseHex(
                "6b3873000a0c0a027631120653656372657412440a200a0c636865636b6f75742d67697412001a0473686f7022002a0032003800"
                        + "4200120d0a0870617373776f7264120178120f0a08757365726e616d6512036769741a001a002200")).orElseThrow();
        assertThat(secret).containsEntry("kind", "Secret").containsEntry("type", "Opaque");
        assertThat(secret.get("data")).isEqualTo(Map.of("password", "eA==", "username", "Z2l0"));
        assertThat(((Map<?, ?>) secret.get("metadata")).get("name")).isEqualTo("checkout-git");
        assertThat(((Map<?, ?>) secret.get("metadata")).get("namespace")).isEqualTo("shop");
    }

    @Test
    void otherKindsAndOtherFormatsAreNotRead() {
        assertThat(KubernetesProtobuf.decode("{\"kind\":\"Namespace\"}".getBytes())).isEmpty();
        // a Pod (kind "Pod") in the same envelope
        assertThat(KubernetesProtobuf.decode(HexFormat.of().parseHex("6b3873000a090a0276311203506f641200"))).isEmpty();
    }
}
