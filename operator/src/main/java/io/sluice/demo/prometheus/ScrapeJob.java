package io.sluice.demo.prometheus;

import java.util.List;
import java.util.Objects;

/**
 * One {@code scrape_configs} entry: Prometheus scrapes {@code metricsPath} on each target
 * ({@code host:port}) every second and labels the samples {@code job="<name>"}.
 */
public record ScrapeJob(String name, String metricsPath, List<String> targets) {

    public ScrapeJob {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(metricsPath, "metricsPath");
        targets = List.copyOf(targets);
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("scrape job '" + name + "' has no targets");
        }
    }

    public static ScrapeJob of(String name, String metricsPath, String... targets) {
        return new ScrapeJob(name, metricsPath, List.of(targets));
    }
}
