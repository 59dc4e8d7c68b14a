package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** SLO checks that a Rollout runs against its canary, in the Rollout's namespace. */
@JsonClassDescription("SLO checks that Rollouts in this namespace run against their canaries.")
@Group(Rollout.GROUP)
@Version(Rollout.VERSION)
@ShortNames("sat")
@Categories("sluice")
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class AnalysisTemplate extends CustomResource<AnalysisTemplateSpec, Void> implements Namespaced {
}
