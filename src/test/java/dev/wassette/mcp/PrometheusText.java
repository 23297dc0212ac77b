package dev.wassette.mcp;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A strict reader of the Prometheus text exposition format 0.0.4, for the tests: every line is a
 * {@code # HELP}/{@code # TYPE} comment or a sample {@code name{label="value",…} value}, label values
 * unescaped, and a sample whose metric family has no {@code # TYPE} line is an error. The Prometheus
 * Java client ships writers of the format but no parser (its parsers are Go's expfmt, in promtool,
 * and the Python client's), hence this one.
 */
public final class PrometheusText {
    /** One series: its sample name and labels (sorted, so equal series compare equal). */
    public record Series(String name, Map<String, String> labels) {
        public Series {
            labels = new TreeMap<>(labels);
        }
    }

    private PrometheusText() {}

    /** The samples by series; throws on any line that is not in the format, or on a series seen twice. */
    public static Map<Series, Double> parse(String text) {
        Map<String, String> typeOfFamily = new HashMap<>();
        Map<Series, Double> samples = new HashMap<>();
        int lineNumber = 0;
        for (String line : text.split("\n", -1)) {
            lineNumber++;
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                String[] parts = line.split(" ", 4);
                if (parts.length >= 4 && parts[1].equals("TYPE")) {
                    if (!parts[3].matches("counter|gauge|histogram|summary|untyped")) {
                        throw new IllegalArgumentException("line " + lineNumber + ": unknown type: " + line);
                    }
                    typeOfFamily.put(parts[2], parts[3]);
                }
                continue;
            }
            int i = 0;
            while (i < line.length() && isNameChar(line.charAt(i), i == 0)) {
                i++;
            }
            if (i == 0) {
                throw new IllegalArgumentException("line " + lineNumber + ": no metric name: " + line);
            }
            String name = line.substring(0, i);
            Map<String, String> labels = new TreeMap<>();
            if (i < line.length() && line.charAt(i) == '{') {
                i++;
                while (line.charAt(i) != '}') {
                    int start = i;
                    while (isNameChar(line.charAt(i), i == start)) {
                        i++;
                    }
                    String label = line.substring(start, i);
                    if (label.isEmpty() || line.charAt(i) != '=' || line.charAt(i + 1) != '"') {
                        throw new IllegalArgumentException("line " + lineNumber + ": bad label at " + start + ": " + line);
                    }
                    i += 2;
                    StringBuilder value = new StringBuilder();
                    for (char c = line.charAt(i); c != '"'; c = line.charAt(++i)) {
                        if (c == '\\') {
                            char escaped = line.charAt(++i);
                            value.append(switch (escaped) {
                                case 'n' -> '\n';
                                case '\\', '"' -> escaped;
                                default -> throw new IllegalArgumentException("line " + lineNumber + ": bad escape: " + line);
                            });
                        } else {
                            value.append(c);
                        }
                    }
                    i++; // closing quote
                    if (labels.put(label, value.toString()) != null) {
                        throw new IllegalArgumentException("line " + lineNumber + ": label " + label + " twice: " + line);
                    }
                    if (line.charAt(i) == ',') {
                        i++;
                    } else if (line.charAt(i) != '}') {
                        throw new IllegalArgumentException("line " + lineNumber + ": expected , or }: " + line);
                    }
                }
                i++;
            }
            if (i >= line.length() || line.charAt(i) != ' ') {
                throw new IllegalArgumentException("line " + lineNumber + ": expected a space before the value: " + line);
            }
            String[] valueAndTimestamp = line.substring(i + 1).split(" ");
            if (valueAndTimestamp.length > 2) {
                throw new IllegalArgumentException("line " + lineNumber + ": trailing text: " + line);
            }
            double value = switch (valueAndTimestamp[0]) {
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                case "NaN" -> Double.NaN;
                default -> Double.parseDouble(valueAndTimestamp[0]);
            };
            if (familyType(name, typeOfFamily) == null) {
                throw new IllegalArgumentException("line " + lineNumber + ": no # TYPE for " + name);
            }
            if (samples.put(new Series(name, labels), value) != null) {
                throw new IllegalArgumentException("line " + lineNumber + ": series twice: " + line);
            }
        }
        return samples;
    }

    /** The type of the family a sample belongs to ({@code x_bucket}, {@code x_count}, {@code x_sum} belong to {@code x}). */
    private static String familyType(String sample, Map<String, String> typeOfFamily) {
        String type = typeOfFamily.get(sample);
        if (type != null) {
            return type;
        }
        for (String suffix : new String[] {"_bucket", "_count", "_sum", "_total", "_max"}) {
            if (sample.endsWith(suffix)) {
                type = typeOfFamily.get(sample.substring(0, sample.length() - suffix.length()));
                if (type != null) {
                    return type;
                }
            }
        }
        return null;
    }

    private static boolean isNameChar(char c, boolean first) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || !first && c >= '0' && c <= '9';
    }
}
