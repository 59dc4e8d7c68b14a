package io.sluice.webhook;

import io.sluice.source.GitPushed;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records the {@link GitPushed} events the operator fires, for tests to look at. */
@ApplicationScoped
public class GitPushedRecorder {
    private final List<GitPushed> events = new CopyOnWriteArrayList<>();

    void record(@Observes GitPushed event) {
        events.add(event);
    }

    public List<GitPushed> events() {
        return List.copyOf(events);
    }

    public void clear() {
        events.clear();
    }
}
