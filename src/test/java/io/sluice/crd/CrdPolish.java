package io.sluice.crd;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * What the generator does not do by itself: descriptions of the resource, its spec and its status
 * (from {@code @JsonClassDescription}), printer columns in the order the class declares them (the
 * generator sorts them by name), and no status at all for resources without one.
 */
final class CrdPolish implements CRDPostProcessor {

    @Override
    public HasMetadata process(HasMetadata resource, String crdSpecVersion) {
        CustomResourceDefinition crd = (CustomResourceDefinition) resource;
        Class<?> type = CrdGeneration.RESOURCES.stream()
                .filter(c -> c.getSimpleName().equals(crd.getSpec().getNames().getKind()))
                .findFirst().orElseThrow();
        Type[] specAndStatus = ((ParameterizedType) type.getGenericSuperclass()).getActualTypeArguments();
        for (CustomResourceDefinitionVersion version : crd.getSpec().getVersions()) {
            JSONSchemaProps root = version.getSchema().getOpenAPIV3Schema();
            root.setDescription(description(type));
            root.getProperties().get("spec").setDescription(description((Class<?>) specAndStatus[0]));
            if (specAndStatus[1] == Void.class) {
                root.getProperties().remove("status");
                version.setSubresources(null);
            } else {
                root.getProperties().get("status").setDescription(description((Class<?>) specAndStatus[1]));
            }
            version.setAdditionalPrinterColumns(declaredOrder(type, version.getAdditionalPrinterColumns()));
        }
        return crd;
    }

    private static String description(Class<?> type) {
        JsonClassDescription d = type.getAnnotation(JsonClassDescription.class);
        if (d == null) {
            throw new IllegalStateException(type.getName() + " needs a @JsonClassDescription for its CRD schema");
        }
        return d.value();
    }

    private static List<CustomResourceColumnDefinition> declaredOrder(Class<?> type,
            List<CustomResourceColumnDefinition> columns) {
        List<String> declared = Arrays.stream(type.getAnnotationsByType(AdditionalPrinterColumn.class))
                .map(AdditionalPrinterColumn::name).toList();
        return columns.stream().sorted(Comparator.comparingInt(c -> declared.indexOf(c.getName()))).toList();
    }
}
