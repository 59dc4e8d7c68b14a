package io.sluice.traffic;

/** Traffic could not be routed as asked; the reason becomes a condition reason (e.g. VirtualServiceNotFound). */
public class TrafficRoutingException extends Exception {
    private final String reason;

    public TrafficRoutingException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    public TrafficRoutingException(String reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
