package io.sluice.helm;

import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/** The objects {@code helm template} renders from helm/sluice for one set of values. */
final class RenderedChart {
    static final String RELEASE = "sluice";
    static final String NAMESPACE = "sluice-system";
    /** helm template's built-in default (1.20) is older than the chart's kubeVersion. */
    static final String KUBE_VERSION = "1.31.0";

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    final String yaml;
    final List<HasMetadata> objects;

    private RenderedChart(String yaml, List<HasMetadata> objects) {
        this.yaml = yaml;
        this.objects = objects;
    }

    static Path chartDir() {
        return Path.of(System.getProperty("sluice.project.dir", ".")).toAbsolutePath().normalize().resolve("helm/sluice");
    }

    /**
     * The image the tests render with: values.yaml names none (no Sluice image is published), and the
     * chart refuses to render without one. Tests that are about the image use {@link #renderAsIs}.
     */
    static final String TEST_IMAGE = "image: {repository: registry.example.com/sluice}\n";

    /**
     * Renders the chart with {@link #TEST_IMAGE} and then these values (YAML) on top of values.yaml;
     * helm's error as an exception.
     */
    static RenderedChart render(String valuesYaml) {
        return render(chartDir(), RELEASE, TEST_IMAGE, valuesYaml);
    }

    /** Renders the chart with only these values on top of values.yaml. */
    static RenderedChart renderAsIs(String valuesYaml) {
        return render(chartDir(), RELEASE, valuesYaml);
    }

    /** Renders the chart at {@code chart} (the Sluice chart or one that depends on it), values files in order. */
    static RenderedChart render(Path chart, String release, String... valuesYamls) {
        List<Path> files = new ArrayList<>();
        try {
            try {
                var template = new Helm(chart).template()
                        .withName(release).withNamespace(NAMESPACE).withKubeVersion(KUBE_VERSION);
                for (String valuesYaml : valuesYamls) {
                    Path values = Files.createTempFile("sluice-values", ".yaml");
                    files.add(values);
                    Files.writeString(values, valuesYaml);
                    template.withValuesFile(values);
                }
                String out = template.call();
                return new RenderedChart(out, parse(out));
            } finally {
                for (Path f : files) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<HasMetadata> parse(String multiDoc) {
        List<HasMetadata> out = new ArrayList<>();
        for (String doc : multiDoc.split("(?m)^---\\s*$")) {
            boolean empty = doc.lines().map(String::strip).allMatch(l -> l.isEmpty() || l.startsWith("#"));
            if (!empty) {
                out.add(SERIALIZATION.unmarshal(doc, HasMetadata.class));
            }
        }
        return out;
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> List<T> all(Class<T> type, Predicate<T> filter) {
        return all(type).stream().filter(filter).toList();
    }

    <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
        return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst();
    }

    <T extends HasMetadata> T get(Class<T> type, String name) {
        return find(type, name).orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name
                + " rendered; got " + objects.stream().map(o -> o.getKind() + " " + o.getMetadata().getName()).toList()));
    }

    List<GenericKubernetesResource> generic(String kind) {
        return all(GenericKubernetesResource.class, g -> kind.equals(g.getKind()));
    }

    Deployment deployment() {
        return get(Deployment.class, RELEASE);
    }

    /** The operator's application.properties from the ConfigMap. */
    Properties properties() {
        String text = get(ConfigMap.class, RELEASE).getData().get("application.properties");
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    String propertiesText() {
        return get(ConfigMap.class, RELEASE).getData().get("application.properties");
    }

    /** "apiGroup/resource" to the verbs granted on it, merged over the rules. */
    static Map<String, Set<String>> grants(List<PolicyRule> rules) {
        Map<String, Set<String>> out = new TreeMap<>();
        for (PolicyRule rule : rules) {
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    out.computeIfAbsent(group + "/" + resource, k -> new TreeSet<>()).addAll(rule.getVerbs());
                }
            }
        }
        return out;
    }

    static Set<String> verbs(String... verbs) {
        return new TreeSet<>(Arrays.asList(verbs));
    }
}
