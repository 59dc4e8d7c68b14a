package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** SLO checks shared by Rollouts of every namespace (clusterScope: true in the reference). */
@JsonClassDescription("SLO checks shared by Rollouts of every namespace (referenced with clusterScope: true).")
@Group(Rollout.GROUP)
@Version(Rollout.VERSION)
@ShortNames("scat")
@Categories("sluice")
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class ClusterAnalysisTemplate extends CustomResource<AnalysisTemplateSpec, Void> {
}
