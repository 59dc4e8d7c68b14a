package io.sluice.api.v1alpha1;

/**
 * Every default of the Sluice API in one place. The CRD schema carries them (through
 * {@code @Default}) so a real API server fills them in, and the operator applies the same values
 * when a field is absent, because not every API (the test mock, for one) applies schema defaults.
 */
public final class Defaults {
    public static final String GIT_REF = "main";
    public static final String GIT_PATH = ".";
    public static final String GIT_INTERVAL = "1m";
    public static final String WORKLOAD_API_VERSION = "apps/v1";
    public static final String WORKLOAD_KIND = "Deployment";
    public static final int PROGRESS_DEADLINE_SECONDS = 600;
    public static final int ABORT_SCALE_DOWN_DELAY_SECONDS = 30;
    /** Entries kept in status.history. */
    public static final int HISTORY_LIMIT = 10;

    public static final String METRIC_INTERVAL = "30s";
    public static final String METRIC_INITIAL_DELAY = "0s";
    public static final int FAILURE_LIMIT = 0;
    public static final int INCONCLUSIVE_LIMIT = 0;
    public static final int CONSECUTIVE_ERROR_LIMIT = 4;
    public static final String NO_DATA_OUTCOME = "Inconclusive";
    public static final int NO_DATA_MIN_SAMPLES = 1;
    public static final String PROMETHEUS_PROVIDER = "default";

    /** Go-style durations as Kubernetes users write them: 30s, 1m, 1h30m, 500ms. */
    public static final String DURATION_PATTERN = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$";
    /** A DNS-1123 label: the shape of names of most Kubernetes objects we reference. */
    public static final String NAME_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
    /** A DNS-1123 subdomain: the shape of object names in general. */
    public static final String SUBDOMAIN_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

    private Defaults() {
    }
}
