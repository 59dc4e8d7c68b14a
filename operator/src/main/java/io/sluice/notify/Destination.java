package io.sluice.notify;

import java.util.Set;

/**
 * Where notifications go: a generic JSON webhook or a Slack-compatible one.
 *
 * @param url never logged: webhook URLs carry their credentials
 * @param on  the kinds to send; empty means all
 */
public record Destination(Type type, String url, Set<NotificationKind> on) {
    public enum Type { webhook, slack }

    public boolean wants(NotificationKind kind) {
        return on.isEmpty() || on.contains(kind);
    }

    @Override
    public String toString() {
        return "Destination[" + type + ", url=<redacted>, on=" + on + "]";
    }
}
