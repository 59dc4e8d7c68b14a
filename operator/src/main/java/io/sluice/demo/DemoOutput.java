package io.sluice.demo;

import java.io.PrintStream;
import java.time.Clock;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/** The demo's narration: one timestamped line per thing that happened, on standard output. */
final class DemoOutput {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.S");

    private final PrintStream out;
    private final Clock clock;

    DemoOutput(PrintStream out, Clock clock) {
        this.out = out;
        this.clock = clock;
    }

    synchronized void line(String text) {
        out.println(TIME.format(clock.instant().atZone(ZoneId.systemDefault())) + "  " + text);
        out.flush();
    }

    synchronized void line(String format, Object... args) {
        line(String.format(format, args));
    }
}
