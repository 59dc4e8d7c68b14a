package io.sluice.notify;

import io.sluice.api.v1alpha1.PendingNotification;

/** Where pending notifications are recorded durably (the Rollout's status), as the notifier settles them. */
public interface PendingStore {
    /** Removes the record (delivered or given up on); nothing if it is already gone. */
    void remove(Notifier.RolloutRef rollout, String id, String destination);

    /** Records the number of failed attempts so far, so a restarted operator keeps counting from there. */
    void attempted(Notifier.RolloutRef rollout, String id, String destination, int attempts);

    /** For notifications without a durable record. */
    PendingStore NONE = new PendingStore() {
        @Override
        public void remove(Notifier.RolloutRef rollout, String id, String destination) {
        }

        @Override
        public void attempted(Notifier.RolloutRef rollout, String id, String destination, int attempts) {
        }
    };

    /** Whether a record is this one. */
    static boolean same(PendingNotification p, String id, String destination) {
        return id.equals(p.id) && destination.equals(p.destination);
    }
}
