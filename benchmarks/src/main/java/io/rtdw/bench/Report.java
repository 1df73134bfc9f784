package io.rtdw.bench;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Collects the benchmark's figures as rows (section, configuration, metric, value, load average when measured),
 * writes every latency histogram to an HdrHistogram log file, and prints everything as one table.
 */
public final class Report implements AutoCloseable {

    /** One measured figure. */
    public record Row(String section, String config, String metric, String value, String load, String at) {
    }

    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final Path dir;
    private final PrintStream histogramFile;
    private final HistogramLogWriter histograms;

    public Report(final Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        try {
            histogramFile = new PrintStream(dir.resolve("histograms.hlog").toFile());
        } catch (final FileNotFoundException e) {
            throw new IOException(e);
        }
        histograms = new HistogramLogWriter(histogramFile);
        histograms.outputComment("rtdw PipelineBenchmark latency histograms, values in milliseconds; tag = what");
        histograms.outputLogFormatVersion();
        histograms.outputLegend();
    }

    public Path dir() {
        return dir;
    }

    /** Adds a figure and echoes it at once, so a long run shows progress. */
    public synchronized void add(final String section, final String config, final String metric, final String value) {
        final Row row = new Row(section, config, metric, value, loadAverage(), now());
        rows.add(row);
        System.out.printf("  [%s] %s | %s = %s (load %s, %s)%n", section, config, metric, value, row.load(), row.at());
    }

    /** Adds p50 / p99 / p99.9 / max of a histogram (ms) and writes it to the histogram log under {@code tag}. */
    public synchronized void latency(final String section, final String config, final String metric,
                                     final Histogram h, final String tag) {
        add(section, config, metric, h.getTotalCount() == 0 ? "no samples" : String.format(Locale.ROOT,
                "p50 %d / p99 %d / p99.9 %d / max %d ms (n=%d)", h.getValueAtPercentile(50),
                h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue(), h.getTotalCount()));
        h.setTag(tag.replaceAll("[\\s,]", "_"));
        h.setStartTimeStamp(System.currentTimeMillis());
        h.setEndTimeStamp(System.currentTimeMillis());
        histograms.outputIntervalHistogram(h);
        histogramFile.flush();
    }

    public synchronized void note(final String note) {
        notes.add(note);
        System.out.println("  note: " + note);
    }

    /** The whole table as Markdown. */
    public synchronized String table() {
        final StringBuilder b = new StringBuilder();
        b.append("| section | configuration | metric | value | load avg (1/5/15 min) | UTC |\n|---|---|---|---|---|---|\n");
        for (final Row r : rows) {
            b.append("| ").append(r.section()).append(" | ").append(r.config()).append(" | ").append(r.metric())
                    .append(" | ").append(r.value()).append(" | ").append(r.load()).append(" | ").append(r.at())
                    .append(" |\n");
        }
        if (!notes.isEmpty()) {
            b.append('\n');
            notes.forEach(n -> b.append("- ").append(n).append('\n'));
        }
        return b.toString();
    }

    /** Date and time now, UTC, to the second: every figure says when it was measured. */
    public static String now() {
        return java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).withNano(0).toLocalDateTime().toString()
                .replace('T', ' ');
    }

    /** The 1, 5 and 15 minute load averages of the machine ({@code /proc/loadavg}). */
    public static String loadAverage() {
        try {
            final String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " / " + parts[1] + " / " + parts[2];
        } catch (final IOException | RuntimeException e) {
            return "?";
        }
    }

    @Override
    public synchronized void close() throws IOException {
        histogramFile.close();
        Files.writeString(dir.resolve("summary.md"), table());
    }
}
