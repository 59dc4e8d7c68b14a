package io.sluice.operator;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.sluice.api.v1alpha1.AnalysisPhase;
import io.sluice.api.v1alpha1.Rollout;
import io.sluice.api.v1alpha1.RolloutPhase;
import io.sluice.api.v1alpha1.RolloutStatus;
import io.sluice.crd.CrdGeneration;
import io.sluice.source.jgit.JGitSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/operations.md lists every sluice_* metric the operator exports, and its alert rules use only
 * names that exist: both checked against what Sluice's meters really produce in Prometheus format.
 */
class MetricsDocumentedTest {
    private static final Pattern SLUICE_NAME = Pattern.compile("\\bsluice_[a-z_]+[a-z]");
    private static final Pattern EXPORTED = Pattern.compile("(?m)^# TYPE (sluice_[a-z_]+) ");

    @Test
    void operationsDocListsExactlyTheExportedSluiceMetrics(@TempDir Path cache) throws IOException {
        Set<String> exported = exportedNames(cache);
        Set<String> documented = mentioned(Files.readString(CrdGeneration.projectDir().resolve("docs/operations.md")));

        assertThat(exported).as("metrics the operator exports").contains("sluice_rollouts", "sluice_git_fetches_total");
        // A counter is exported as name_total; the doc names the series people query.
        assertThat(documented).as("sluice_* names in docs/operations.md that the operator does not export")
                .allMatch(exported::contains);
        assertThat(exported).as("exported sluice_* metrics that docs/operations.md does not mention")
                .allMatch(documented::contains);
    }

    private static Set<String> exportedNames(Path cache) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        RolloutMetrics metrics = new RolloutMetrics(registry);
        new JGitSource(new JGitSource.Settings(cache, Duration.ofSeconds(30), Duration.ofSeconds(10),
                Duration.ofHours(1)), Clock.systemUTC(), registry);
        Rollout rollout = new Rollout();
        rollout.setMetadata(new ObjectMetaBuilder().withNamespace("shop").withName("checkout").build());
        rollout.setStatus(new RolloutStatus());
        rollout.getStatus().phase = RolloutPhase.Progressing;
        rollout.getStatus().canaryWeight = 5;
        metrics.watch(() -> Stream.of(rollout));
        metrics.measured("shop", "checkout", "error-rate", 0.002);
        metrics.analysisCompleted(AnalysisPhase.Successful);
        metrics.refresh();
        Leadership leadership = new Leadership(TestConfig.of(cache), registry);
        new io.sluice.webhook.GitWebhookResource(TestConfig.of(cache), null, null, leadership, Clock.systemUTC(), registry);
        new io.sluice.notify.webhook.WebhookNotifier(new io.sluice.notify.webhook.WebhookNotifier.Settings(1,
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMinutes(1), Duration.ofSeconds(1),
                Duration.ofSeconds(1), 1, 1), io.sluice.notify.PendingStore.NONE, Clock.systemUTC(), registry).close();
        new WatchHealth(() -> null, TestConfig.of(cache), Clock.systemUTC(), registry);

        Set<String> names = new TreeSet<>();
        Matcher m = EXPORTED.matcher(registry.scrape());
        while (m.find()) {
            names.add(m.group(1));
        }
        // Counters: the TYPE line names the family, the samples carry _total.
        Set<String> series = new TreeSet<>();
        for (String name : names) {
            series.add(registry.scrape().contains(name + "_total{") ? name + "_total" : name);
        }
        return series;
    }

    private static Set<String> mentioned(String doc) {
        Set<String> names = new TreeSet<>();
        Matcher m = SLUICE_NAME.matcher(doc);
        while (m.find()) {
            names.add(m.group());
        }
        return names;
    }
}
