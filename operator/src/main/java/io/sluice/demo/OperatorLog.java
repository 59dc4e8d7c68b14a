package io.sluice.demo;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * Keeps the console for the narration. The operator runs in the demo's JVM, so its log, and whatever
 * a library prints on its own (a stack trace, a warning written to {@code System.err}), would land
 * between the narration's lines. All of it goes to one file in the demo's temporary directory
 * instead: the operator's log through Quarkus' file handler ({@link #quarkusSettings}, with no
 * console handler), everything else because {@code System.out} and {@code System.err} write to the
 * same file while the demo runs. The narration keeps the {@code System.out} from before.
 */
final class OperatorLog implements AutoCloseable {
    private final Path file;
    private final PrintStream originalOut;
    private final PrintStream originalErr;
    private final PrintStream diverted;

    private OperatorLog(Path file, PrintStream diverted) {
        this.file = file;
        this.originalOut = System.out;
        this.originalErr = System.err;
        this.diverted = diverted;
    }

    /**
     * From now until {@link #close()}, {@code System.out} and {@code System.err} append to {@code file}.
     */
    static OperatorLog divert(Path file) throws IOException {
        // appended to, like Quarkus' file handler does with the same file
        PrintStream diverted = new PrintStream(new FileOutputStream(file.toFile(), true), true, StandardCharsets.UTF_8);
        OperatorLog log = new OperatorLog(file, diverted);
        System.setOut(diverted);
        System.setErr(diverted);
        return log;
    }

    /**
     * The Quarkus settings that send the operator's log to {@code file} only. An explicit
     * {@code -Dquarkus.log.console.enabled=true} still wins (the demo sets what is not set).
     */
    static Map<String, String> quarkusSettings(Path file) {
        return Map.of(
                "quarkus.log.console.enabled", "false",
                "quarkus.log.file.enabled", "true",
                "quarkus.log.file.path", file.toString());
    }

    Path file() {
        return file;
    }

    /** Gives {@code System.out} and {@code System.err} back; what is printed from now on is seen again. */
    @Override
    public void close() {
        if (System.out == diverted) {
            System.setOut(originalOut);
        }
        if (System.err == diverted) {
            System.setErr(originalErr);
        }
        diverted.close();
    }
}
