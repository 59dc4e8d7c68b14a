package io.sluice.net;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Where a Rollout may make the operator connect: its Git server and its notification URLs. */
class OutboundPolicyTest {
    private final OutboundPolicy strict = new OutboundPolicy(false, false, Optional.empty());

    @Test
    void metadataAndLinkLocalAddressesAreNeverAllowed() {
        OutboundPolicy permissive = OutboundPolicy.permissive();
        for (String host : List.of("169.254.169.254", "169.254.1.1", "[fe80::1]", "100.100.100.200", "[fd00:ec2::254]", "0.0.0.0")) {
            assertThat(permissive.refusal(host)).as(host).isPresent();
        }
        assertThat(permissive.refusal("169.254.169.254")).get().asString().contains("link-local or metadata");
    }

    @Test
    void loopbackAndPrivateNetworksOnlyWhenAllowed() {
        assertThat(strict.refusal("127.0.0.1")).get().asString().contains("loopback", "sluice.outbound.allow-loopback");
        assertThat(strict.refusal("localhost")).get().asString().contains("resolves to", "loopback");
        assertThat(strict.refusal("10.1.2.3")).get().asString().contains("private network", "allow-private-networks");
        assertThat(strict.refusal("172.20.0.1")).isPresent();
        assertThat(strict.refusal("192.168.1.10")).isPresent();
        assertThat(strict.refusal("[fd12::1]")).isPresent();
        assertThat(strict.refusal("172.32.0.1")).as("outside 172.16/12").isEmpty();
        assertThat(strict.refusal("8.8.8.8")).isEmpty();

        OutboundPolicy allowing = new OutboundPolicy(true, true, Optional.empty());
        assertThat(allowing.refusal("127.0.0.1")).isEmpty();
        assertThat(allowing.refusal("10.1.2.3")).isEmpty();
    }

    @Test
    void anAllowListAdmitsOnlyItsHostsAndNeverTheForbiddenAddresses() {
        OutboundPolicy listed = new OutboundPolicy(true, false, Optional.of(List.of("127.0.0.1", "*.example.com")));
        assertThat(listed.refusal("127.0.0.1")).isEmpty();
        assertThat(listed.refusal("8.8.8.8")).get().asString().contains("not among the allowed hosts");
        assertThat(listed.refusal("git.evil.org")).isPresent();
        assertThat(new OutboundPolicy(true, true, Optional.of(List.of("169.254.169.254"))).refusal("169.254.169.254"))
                .as("listing a metadata address does not open it").isPresent();
    }
}
