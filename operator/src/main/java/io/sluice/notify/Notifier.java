package io.sluice.notify;

import java.util.List;

/** Sends notifications without ever blocking or slowing the caller. */
public interface Notifier {
    void send(Notification notification, List<Destination> destinations);
}
