package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

import java.util.List;

/** Where to tell people about a rollout's progress. The URL lives in a Secret: webhook URLs are credentials. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.type in ['webhook', 'slack']", message = "type must be webhook or slack")
@ValidationRule(value = "!has(self.on) || self.on.all(e, e in ['Started', 'StepCompleted', 'Paused', 'Promoted', "
        + "'Aborted', 'RolledBack'])",
        message = "on may list Started, StepCompleted, Paused, Promoted, Aborted, RolledBack")
public class NotificationTarget {
    @Required
    @JsonPropertyDescription("webhook: a JSON document per event; slack: a Slack-compatible incoming-webhook message.")
    public String type;

    @Required
    @JsonPropertyDescription("The key of a Secret in the Rollout's namespace holding the URL to POST to.")
    public SecretKeySelector urlSecretRef;

    @JsonPropertyDescription("Which events to send: Started, StepCompleted, Paused, Promoted, Aborted, RolledBack. "
            + "Omitted: all of them.")
    public List<String> on;
}
