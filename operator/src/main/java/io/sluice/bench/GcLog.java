package io.sluice.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Stop-the-world pauses from a unified JVM GC log ({@code -Xlog:gc*}): G1's "Pause Young/Remark/Cleanup/Full"
 * and ZGC's "Pause Mark Start/Mark End/Relocate Start". Collections the harness itself asked for
 * (System.gc(), from {@code jcmd GC.class_histogram} / {@code GC.run}) are left out and counted apart.
 */
record GcLog(List<Double> pausesMs, int explicitCollections, List<Double> stallsMs) {
    private static final Pattern STALL = Pattern.compile("Allocation Stall \\(.*\\) (\\d+(?:\\.\\d+)?)ms\\s*$");
    private static final Pattern PAUSE = Pattern.compile("GC\\((\\d+)\\) (?:[yY]: )?(Pause [A-Za-z ]+?)(?: \\(.*\\))?(?: \\d+M->.*)? (\\d+(?:\\.\\d+)?)ms\\s*$");
    private static final Pattern EXPLICIT = Pattern.compile("GC\\((\\d+)\\) .*(System\\.gc\\(\\)|Diagnostic Command|Heap Inspection)");

    static GcLog parse(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        Set<String> explicit = new HashSet<>();
        for (String line : lines) {
            Matcher m = EXPLICIT.matcher(line);
            if (m.find()) {
                explicit.add(m.group(1));
            }
        }
        List<Double> pauses = new ArrayList<>();
        List<Double> stalls = new ArrayList<>();
        for (String line : lines) {
            Matcher stall = STALL.matcher(line);
            if (stall.find()) {
                stalls.add(Double.parseDouble(stall.group(1)));
            }
            if (!line.contains("Pause ")) {
                continue;
            }
            Matcher m = PAUSE.matcher(line);
            if (m.find() && !explicit.contains(m.group(1))) {
                pauses.add(Double.parseDouble(m.group(3)));
            }
        }
        return new GcLog(pauses, explicit.size(), stalls);
    }

    static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}
