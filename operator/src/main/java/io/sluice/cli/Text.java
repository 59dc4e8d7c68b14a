package io.sluice.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** Small formatting helpers shared by the commands. */
final class Text {
    static final String NONE = "-";

    private Text() {
    }

    /** A Git commit as people quote it: its first 12 characters. */
    static String revision(String revision) {
        if (revision == null || revision.isEmpty()) {
            return NONE;
        }
        return revision.length() > 12 ? revision.substring(0, 12) : revision;
    }

    /** Time since {@code timestamp} like kubectl's AGE column: 45s, 12m, 3h, 2d. */
    static String age(String timestamp, Instant now) {
        if (timestamp == null) {
            return NONE;
        }
        try {
            return age(Duration.between(Instant.parse(timestamp), now));
        } catch (DateTimeParseException e) {
            return NONE;
        }
    }

    static String age(Duration d) {
        long s = Math.max(0, d.getSeconds());
        if (s < 120) {
            return s + "s";
        }
        if (s < 2 * 3600) {
            return s / 60 + "m";
        }
        if (s < 48 * 3600) {
            return s / 3600 + "h";
        }
        return s / 86400 + "d";
    }

    /** {@code [########............]}: {@code percent} of {@code width} cells filled. */
    static String bar(int percent, int width) {
        int filled = Math.round(Math.max(0, Math.min(100, percent)) * width / 100f);
        return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "]";
    }

    /** Left-aligned columns separated by three spaces, like kubectl get. */
    static List<String> table(List<String> header, List<List<String>> rows) {
        int[] widths = new int[header.size()];
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (List<String> row : all) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        List<String> lines = new ArrayList<>();
        for (List<String> row : all) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(i == row.size() - 1 ? row.get(i) : pad(row.get(i), widths[i] + 3));
            }
            lines.add(line.toString().stripTrailing());
        }
        return lines;
    }

    static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }

    static String orNone(Object value) {
        return value == null ? NONE : value.toString();
    }
}
