package io.sluice.operator;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sluice.core.RolloutEvent;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.List;
import java.util.UUID;

/** Records core/v1 Events on a resource, as `kubectl describe` and `kubectl events` show them. */
@ApplicationScoped
public class EventRecorder {
    private static final Logger LOG = Logger.getLogger(EventRecorder.class);
    private static final int MAX_MESSAGE = 1024;

    private final KubernetesClient client;
    private final Clock clock;

    public EventRecorder(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    /** Best effort: an event that cannot be written is logged, never fails the reconcile. */
    public void record(HasMetadata subject, List<RolloutEvent> events) {
        for (RolloutEvent event : events) {
            String now = clock.instant().toString();
            String message = event.message().length() > MAX_MESSAGE
                    ? event.message().substring(0, MAX_MESSAGE - 3) + "..." : event.message();
            var k8sEvent = new EventBuilder()
                    .withNewMetadata()
                    .withName(subject.getMetadata().getName() + "." + UUID.randomUUID().toString().substring(0, 13).replace("-", ""))
                    .withNamespace(subject.getMetadata().getNamespace())
                    .endMetadata()
                    .withInvolvedObject(new ObjectReferenceBuilder()
                            .withApiVersion(subject.getApiVersion())
                            .withKind(subject.getKind())
                            .withName(subject.getMetadata().getName())
                            .withNamespace(subject.getMetadata().getNamespace())
                            .withUid(subject.getMetadata().getUid())
                            .withResourceVersion(subject.getMetadata().getResourceVersion())
                            .build())
                    .withType(event.type().name())
                    .withReason(event.reason())
                    .withMessage(message)
                    .withFirstTimestamp(now)
                    .withLastTimestamp(now)
                    .withCount(1)
                    .withNewSource().withComponent("sluice").endSource()
                    .withReportingComponent("sluice.io/operator")
                    .withReportingInstance(InstanceIdentity.get())
                    .build();
            try {
                client.v1().events().inNamespace(subject.getMetadata().getNamespace()).resource(k8sEvent).create();
            } catch (KubernetesClientException e) {
                LOG.warnf("could not record event %s on %s/%s: %s", event.reason(),
                        subject.getMetadata().getNamespace(), subject.getMetadata().getName(), e.getMessage());
            }
        }
    }
}
