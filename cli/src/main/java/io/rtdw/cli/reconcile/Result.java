package io.rtdw.cli.reconcile;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One reconcile run: the sources' counts, each copy's outcome (compared, skipped, or unreadable), and the
 * differences per copy and customer.
 */
public final class Result {

    /** Copies in the order they are printed. */
    public static final List<String> COPIES = List.of("output", "pinot", "parquet");

    /** What happened to one copy. */
    public record Outcome(String copy, Copy read, String skipped, String failed,
                          TreeMap<Integer, List<String>> differences) {
        boolean agrees() {
            return failed == null && (skipped != null || differences.isEmpty());
        }
    }

    private final Instant at;
    private final SourceState source;
    private final String sourceFailure;
    private final Map<String, Outcome> outcomes = new LinkedHashMap<>();
    private Duration duration = Duration.ZERO;
    private final Map<String, Long> phases = new LinkedHashMap<>();

    Result(final Instant at, final SourceState source, final String sourceFailure) {
        this.at = at;
        this.source = source;
        this.sourceFailure = sourceFailure;
    }

    void add(final Outcome outcome) {
        outcomes.put(outcome.copy(), outcome);
    }

    /** Adds {@code nanos} to the time spent in {@code phase} (source, join, output, pinot, parquet, compare). */
    void phase(final String phase, final long nanos) {
        phases.merge(phase, nanos, Long::sum);
    }

    /** Time per phase: reading the sources, joining them, reading each copy, comparing (all copies). */
    public Map<String, Duration> phases() {
        final Map<String, Duration> out = new LinkedHashMap<>();
        phases.forEach((k, v) -> out.put(k, Duration.ofNanos(v)));
        return out;
    }

    void duration(final Duration duration) {
        this.duration = duration;
    }

    public Instant at() {
        return at;
    }

    public Duration duration() {
        return duration;
    }

    /** True when the sources were read and every compared copy was read and agrees. */
    public boolean agrees() {
        return sourceFailure == null && outcomes.values().stream().allMatch(Outcome::agrees);
    }

    /** The outcome of {@code copy} ({@link #COPIES}), or null when it was not looked at. */
    public Outcome outcome(final String copy) {
        return outcomes.get(copy);
    }

    /** Customers of the source, or -1 when it could not be read. */
    public int sourceCustomers() {
        return sourceFailure == null ? source.customers() : -1;
    }

    /** Live customers of {@code copy}, or -1 when it was skipped or unreadable. */
    public int customers(final String copy) {
        final Outcome o = outcomes.get(copy);
        return o == null || o.read() == null ? -1 : o.read().live().size();
    }

    /** Customers that differ in {@code copy}, or -1 when it was skipped or unreadable. */
    public int differences(final String copy) {
        final Outcome o = outcomes.get(copy);
        return o == null || o.read() == null ? -1 : o.differences().size();
    }

    /** True when both runs read the sources and found the same rows (see {@link SourceState#fingerprint()}). */
    public boolean sameSources(final Result other) {
        return sourceFailure == null && other.sourceFailure == null
                && source.fingerprint() == other.source.fingerprint();
    }

    /** Every difference, one line per customer in id order: {@code customer 42: pinot: ...; parquet: ...}. */
    public List<String> lines() {
        final TreeMap<Integer, List<String>> perCustomer = new TreeMap<>();
        for (final Outcome o : outcomes.values()) {
            if (o.differences() != null) {
                o.differences().forEach((id, what) -> perCustomer.computeIfAbsent(id, k -> new ArrayList<>())
                        .add(o.copy() + ": " + String.join(", ", what)));
            }
        }
        final List<String> lines = new ArrayList<>(perCustomer.size());
        perCustomer.forEach((id, parts) -> lines.add("customer " + id + ": " + String.join("; ", parts)));
        return lines;
    }

    /** Prints the report: counts per copy, then at most {@code maxLines} differing customers and the total. */
    public void print(final PrintStream out, final int maxLines) {
        final StringBuilder took = new StringBuilder();
        phases.forEach((k, v) -> took.append(took.length() == 0 ? "" : ", ").append(k).append(' ')
                .append(v / 1_000_000).append(" ms"));
        out.println("reconcile at " + at + " (" + duration.toMillis() + " ms: " + took + ")");
        if (sourceFailure != null) {
            out.println("source: UNREADABLE: " + sourceFailure);
        } else {
            out.println("source: " + source.customers() + " customers, " + source.flights() + " flights (PostgreSQL), "
                    + source.vehicles() + " vehicles (" + source.vehicleOrigin() + "); " + source.orphans()
                    + " orphan children (their customer does not exist)");
        }
        for (final String copy : COPIES) {
            final Outcome o = outcomes.get(copy);
            if (o == null) {
                continue;
            }
            if (o.skipped() != null) {
                out.println(copy + ": not compared: " + o.skipped());
            } else if (o.failed() != null) {
                out.println(copy + ": UNREADABLE: " + o.failed());
            } else {
                out.println(copy + ": " + o.read().live().size() + " live customers, " + o.differences().size()
                        + " differ (" + o.read().detail() + ")");
            }
        }
        final List<String> lines = lines();
        lines.stream().limit(maxLines).forEach(out::println);
        if (lines.size() > maxLines) {
            out.println("... " + (lines.size() - maxLines) + " more customers differ (" + lines.size()
                    + " in total; --max-lines to see more)");
        }
        out.println(agrees() ? "AGREE: every compared copy equals the sources"
                : "DIFFER: " + lines.size() + " customers differ" + (sourceFailure != null
                || outcomes.values().stream().anyMatch(o -> o.failed() != null) ? ", or a copy could not be read" : ""));
    }
}
