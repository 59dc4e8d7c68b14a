package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A progressive delivery of one workload whose manifests live in Git: every new revision on the
 * tracked ref is run as a canary, receives traffic step by step, is checked against its SLOs and
 * is either promoted or rolled back.
 */
@JsonClassDescription("A progressive delivery of one workload whose manifests live in Git: each new revision on the tracked ref runs as a canary, receives traffic step by step, is checked against its SLOs, and is promoted or rolled back.")
@Group(Rollout.GROUP)
@Version(Rollout.VERSION)
@ShortNames("sro")
@Categories("sluice")
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Weight", jsonPath = ".status.canaryWeight", type = AdditionalPrinterColumn.Type.INTEGER,
        getDescription = "Percentage of traffic on the canary")
@AdditionalPrinterColumn(name = "Step", jsonPath = ".status.step", type = AdditionalPrinterColumn.Type.STRING,
        getDescription = "Canary step in progress and the number of steps, e.g. 2/4")
@AdditionalPrinterColumn(name = "Stable", jsonPath = ".status.stableRevision", type = AdditionalPrinterColumn.Type.STRING,
        getDescription = "Git revision serving as stable")
@AdditionalPrinterColumn(name = "Canary", jsonPath = ".status.canaryRevision", type = AdditionalPrinterColumn.Type.STRING,
        getDescription = "Git revision running as canary")
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class Rollout extends CustomResource<RolloutSpec, RolloutStatus> implements Namespaced {
    public static final String GROUP = "sluice.io";
    public static final String VERSION = "v1alpha1";
}
