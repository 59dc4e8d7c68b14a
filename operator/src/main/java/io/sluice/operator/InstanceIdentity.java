package io.sluice.operator;

import java.util.Map;
import java.util.UUID;

/**
 * The name of this operator process: the pod's name ({@code POD_NAME}, else {@code HOSTNAME}) and a
 * suffix unique to the process, so two processes on one host (or a restarted container in the same
 * pod) never pass for one another. It is the Lease holder identity under leader election and the
 * {@code reportingInstance} of the Events Sluice records.
 */
public final class InstanceIdentity {
    private static final String VALUE = of(System.getenv(), UUID.randomUUID().toString().substring(0, 8));

    private InstanceIdentity() {
    }

    /** This process's identity. */
    public static String get() {
        return VALUE;
    }

    static String of(Map<String, String> env, String unique) {
        String host = firstNonBlank(env.get("POD_NAME"), env.get("HOSTNAME"), "sluice");
        return host + "_" + unique;
    }

    private static String firstNonBlank(String... candidates) {
        for (String candidate : candidates) {
            if (candidate != null && !candidate.isBlank()) {
                return candidate.strip();
            }
        }
        throw new IllegalArgumentException("no candidate");
    }
}
