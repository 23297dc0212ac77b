package dev.wassette.bench;

import java.util.List;
import java.util.Locale;

/** A small SVG line chart: one panel per series, each with its own y scale from 0, sharing the x axis. */
final class SvgChart {
    record Series(String name, double[] values) {}

    private static final int WIDTH = 760;
    private static final int PANEL = 130;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 40;
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};

    private SvgChart() {}

    static String render(String title, String xLabel, double[] x, List<Series> series) {
        int height = TOP + series.size() * (PANEL + 30) + 30;
        double xMax = max(x);
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n",
                WIDTH, height));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, height));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\">%s</text>%n", LEFT, escape(title)));
        int plotWidth = WIDTH - LEFT - RIGHT;
        for (int p = 0; p < series.size(); p++) {
            Series s = series.get(p);
            int top = TOP + p * (PANEL + 30);
            double yMax = niceCeiling(max(s.values()));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>%n", LEFT, top + 12, escape(s.name())));
            int y0 = top + PANEL;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>%n", LEFT, y0, LEFT + plotWidth, y0));
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>%n", LEFT, top + 18, LEFT, y0));
            for (int t = 0; t <= 2; t++) {
                double value = yMax * t / 2;
                int y = (int) Math.round(y0 - (PANEL - 18) * value / yMax);
                svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n", LEFT - 6, y + 4, format(value)));
                svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#eee\"/>%n", LEFT + 1, y, LEFT + plotWidth, y));
            }
            StringBuilder points = new StringBuilder();
            for (int i = 0; i < x.length; i++) {
                if (Double.isNaN(s.values()[i])) {
                    continue;
                }
                double px = LEFT + plotWidth * (xMax == 0 ? 0 : x[i] / xMax);
                double py = y0 - (PANEL - 18) * s.values()[i] / yMax;
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
            }
            svg.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"%s\"/>%n",
                    COLOURS[p % COLOURS.length], points.toString().strip()));
            for (int t = 0; t <= 4; t++) {
                double value = xMax * t / 4;
                svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>%n",
                        LEFT + plotWidth * t / 4.0, y0 + 15, format(value)));
            }
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", LEFT + plotWidth / 2, height - 6, escape(xLabel)));
        return svg.append("</svg>\n").toString();
    }

    private static double max(double[] values) {
        double m = 0;
        for (double v : values) {
            if (!Double.isNaN(v)) {
                m = Math.max(m, v);
            }
        }
        return m;
    }

    /** 1, 2 or 5 times a power of ten, at least {@code v}. */
    private static double niceCeiling(double v) {
        if (v <= 0) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String format(double v) {
        return v == Math.rint(v) ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
