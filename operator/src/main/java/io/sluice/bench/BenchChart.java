package io.sluice.bench;

import com.fasterxml.jackson.databind.JsonNode;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Two panels drawn with Java2D (headless): live heap against N, and GC pause p99 and max against N
 * (log scale), one line per collector, with the targets (512 MiB, 1 ms) as dashed lines.
 */
final class BenchChart {
    private static final int W = 1200;
    private static final int H = 520;
    private static final Color[] GC_COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c)};

    private BenchChart() {
    }

    static void draw(JsonNode report, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);

        Map<String, TreeMap<Integer, JsonNode>> byGc = new LinkedHashMap<>();
        for (JsonNode run : report.path("runs")) {
            byGc.computeIfAbsent(run.path("gc").asText(), k -> new TreeMap<>()).put(run.path("n").asInt(), run);
        }
        List<Integer> ns = byGc.values().stream().flatMap(m -> m.keySet().stream()).distinct().sorted().toList();

        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString("Sluice benchmark: live heap and GC pauses against the number of Rollouts", 20, 26);

        panel(g, 60, 60, 500, 380, "Live heap after full GC (MiB)", ns, byGc, List.of(new Series("liveHeapMiB", false)),
                512, "512 MiB target", false);
        panel(g, 670, 60, 500, 380, "GC pause (ms, log scale): solid p99, dashed max", ns, byGc,
                List.of(new Series("gcPauseP99Ms", false), new Series("gcPauseMaxMs", true)), 1, "1 ms target", true);

        int x = 60;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        int i = 0;
        for (String gc : byGc.keySet()) {
            g.setColor(GC_COLORS[i++ % GC_COLORS.length]);
            g.setStroke(new BasicStroke(3));
            g.drawLine(x, 495, x + 30, 495);
            g.setColor(Color.BLACK);
            g.drawString(gc.toUpperCase(Locale.ROOT), x + 36, 500);
            x += 120;
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private record Series(String field, boolean dashed) {
    }

    private static void panel(Graphics2D g, int px, int py, int pw, int ph, String title, List<Integer> ns,
            Map<String, TreeMap<Integer, JsonNode>> byGc, List<Series> series, double target, String targetLabel, boolean log) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString(title, px, py - 8);
        g.setStroke(new BasicStroke(1));
        g.drawRect(px, py, pw, ph);
        if (ns.isEmpty()) {
            return;
        }
        double maxY = target;
        double minY = log ? target : 0;
        for (var runs : byGc.values()) {
            for (JsonNode run : runs.values()) {
                for (Series s : series) {
                    double v = run.path(s.field()).asDouble();
                    maxY = Math.max(maxY, v);
                    if (log && v > 0) {
                        minY = Math.min(minY, v);
                    }
                }
            }
        }
        double lo = log ? Math.pow(10, Math.floor(Math.log10(minY))) : 0;
        double hi = log ? Math.pow(10, Math.ceil(Math.log10(maxY * 1.05))) : niceCeil(maxY * 1.1);
        int minN = ns.getFirst();
        int maxN = ns.getLast();
        java.util.function.DoubleUnaryOperator xOf = n -> ns.size() == 1 ? px + pw / 2.0
                : px + 40 + (n - minN) / (double) (maxN - minN) * (pw - 80);
        java.util.function.DoubleUnaryOperator yOf = v -> log
                ? py + ph - (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * ph
                : py + ph - v / hi * ph;

        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        List<Double> ticks = new ArrayList<>();
        if (log) {
            for (double t = lo; t <= hi * 1.001; t *= 10) {
                ticks.add(t);
            }
        } else {
            for (int k = 0; k <= 5; k++) {
                ticks.add(hi * k / 5);
            }
        }
        for (double t : ticks) {
            int y = (int) yOf.applyAsDouble(t);
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(px + 1, y, px + pw - 1, y);
            g.setColor(Color.DARK_GRAY);
            String label = t == 0 ? "0" : t >= 1 ? String.format(Locale.ROOT, "%.0f", t) : String.format(Locale.ROOT, "%.3g", t);
            g.drawString(label, px - 8 - g.getFontMetrics().stringWidth(label), y + 4);
        }
        for (int n : ns) {
            int x = (int) xOf.applyAsDouble(n);
            g.setColor(Color.DARK_GRAY);
            String label = String.format(Locale.ROOT, "%,d", n);
            g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, py + ph + 16);
        }
        g.drawString("Rollouts (N)", px + pw / 2 - 30, py + ph + 34);

        int ty = (int) yOf.applyAsDouble(target);
        g.setColor(new Color(0x888888));
        g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[]{6, 6}, 0));
        g.drawLine(px + 1, ty, px + pw - 1, ty);
        g.drawString(targetLabel, px + pw - 8 - g.getFontMetrics().stringWidth(targetLabel), ty - 4);

        int i = 0;
        for (var entry : byGc.entrySet()) {
            Color c = GC_COLORS[i++ % GC_COLORS.length];
            for (Series s : series) {
                g.setColor(c);
                g.setStroke(s.dashed()
                        ? new BasicStroke(2.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10, new float[]{9, 6}, 0)
                        : new BasicStroke(3f));
                Path2D line = new Path2D.Double();
                boolean first = true;
                for (var point : entry.getValue().entrySet()) {
                    double x = xOf.applyAsDouble(point.getKey());
                    double y = yOf.applyAsDouble(point.getValue().path(s.field()).asDouble());
                    if (first) {
                        line.moveTo(x, y);
                    } else {
                        line.lineTo(x, y);
                    }
                    first = false;
                    g.fillOval((int) x - 4, (int) y - 4, 8, 8);
                }
                g.draw(line);
            }
        }
    }

    private static double niceCeil(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[]{1, 2, 2.5, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }
}
