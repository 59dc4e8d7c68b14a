package io.sluice.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where the operator may connect on a tenant's behalf: the Git servers Rollouts name and the
 * notification URLs their Secrets hold. Without it, a Rollout could make the operator fetch any
 * address it can reach, cloud metadata services and in-cluster admin endpoints included, and read
 * the answer back from its status.
 * <ul>
 *   <li>Never: link-local addresses (169.254.0.0/16, fe80::/10, where cloud metadata services
 *   answer), the unspecified and multicast addresses, and the well-known metadata addresses
 *   (fd00:ec2::254, 100.100.100.200).</li>
 *   <li>Only when allowed: loopback ({@code allowLoopback}) and private networks (10/8, 172.16/12,
 *   192.168/16, 100.64/10, fc00::/7: {@code allowPrivateNetworks}).</li>
 *   <li>When {@code allowedHosts} is set, only those hosts ({@code git.example.com}, or
 *   {@code *.example.com} for its subdomains), and still none of the addresses above.</li>
 * </ul>
 * A host is checked by every address it resolves to. (The connection resolves it again; a DNS answer
 * that changes in between is not caught: see docs/concepts.md.)
 */
public final class OutboundPolicy {
    private final boolean allowLoopback;
    private final boolean allowPrivateNetworks;
    private final Optional<List<String>> allowedHosts;

    public OutboundPolicy(boolean allowLoopback, boolean allowPrivateNetworks, Optional<List<String>> allowedHosts) {
        this.allowLoopback = allowLoopback;
        this.allowPrivateNetworks = allowPrivateNetworks;
        this.allowedHosts = allowedHosts.map(hosts -> hosts.stream().map(h -> h.trim().toLowerCase(Locale.ROOT))
                .filter(h -> !h.isEmpty()).toList());
    }

    /** Everything but the addresses that are never allowed; for tests and the sandbox. */
    public static OutboundPolicy permissive() {
        return new OutboundPolicy(true, true, Optional.empty());
    }

    /** Why the operator must not connect to {@code host}, or empty when it may. */
    public Optional<String> refusal(String host) {
        if (host == null || host.isBlank()) {
            return Optional.of("the URL names no host");
        }
        String name = host.toLowerCase(Locale.ROOT);
        if (name.startsWith("[") && name.endsWith("]")) {
            name = name.substring(1, name.length() - 1);
        }
        if (allowedHosts.isPresent() && allowedHosts.get().stream().noneMatch(pattern -> matches(pattern, host.toLowerCase(Locale.ROOT)))) {
            return Optional.of("host " + host + " is not among the allowed hosts (sluice.outbound.allowed-hosts)");
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(name);
        } catch (UnknownHostException e) {
            return Optional.empty(); // the connection reports the unknown host itself
        }
        for (InetAddress address : addresses) {
            Optional<String> refused = refusal(address);
            if (refused.isPresent()) {
                return Optional.of("host " + host + (host.equals(address.getHostAddress()) ? "" : " resolves to "
                        + address.getHostAddress() + ", which") + " is " + refused.get());
            }
        }
        return Optional.empty();
    }

    private Optional<String> refusal(InetAddress address) {
        if (address.isLinkLocalAddress() || isMetadata(address)) {
            return Optional.of("a link-local or metadata address, which the operator never connects to for a Rollout");
        }
        if (address.isAnyLocalAddress() || address.isMulticastAddress()) {
            return Optional.of("not an address to connect to");
        }
        if (address.isLoopbackAddress() && !allowLoopback) {
            return Optional.of("a loopback address, which this operator does not connect to for a Rollout unless "
                    + "sluice.outbound.allow-loopback=true");
        }
        if (isPrivate(address) && !allowPrivateNetworks) {
            return Optional.of("in a private network, which this operator does not connect to for a Rollout unless "
                    + "sluice.outbound.allow-private-networks=true (or the host is listed in sluice.outbound.allowed-hosts "
                    + "together with that switch)");
        }
        return Optional.empty();
    }

    private static boolean matches(String pattern, String host) {
        return pattern.startsWith("*.") ? host.endsWith(pattern.substring(1)) : host.equals(pattern);
    }

    private static boolean isMetadata(InetAddress address) {
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            return (b[0] & 0xff) == 100 && (b[1] & 0xff) == 100 && (b[2] & 0xff) == 100 && (b[3] & 0xff) == 200;
        }
        // fd00:ec2::254
        return address instanceof Inet6Address && (b[0] & 0xff) == 0xfd && b[1] == 0 && (b[2] & 0xff) == 0x0e
                && (b[3] & 0xff) == 0xc2 && java.util.stream.IntStream.range(4, 14).allMatch(i -> b[i] == 0)
                && b[14] == 0x02 && (b[15] & 0xff) == 0x54;
    }

    private static boolean isPrivate(InetAddress address) {
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return first == 10 || first == 172 && second >= 16 && second <= 31 || first == 192 && second == 168
                    || first == 100 && second >= 64 && second <= 127;
        }
        return (b[0] & 0xfe) == 0xfc; // fc00::/7, unique local
    }
}
