package io.rtdw.streams.tools;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.ops.PipelineMetrics;
import io.rtdw.streams.topology.UnifiedCustomerTopology;

import java.io.IOException;
import java.time.Duration;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The check to run before a rolling upgrade: compares this build's topology with a released one and fails when a
 * named store or an internal topic of the release is gone, because the new build would start that state from
 * nothing (an orphaned changelog, a lost aggregate) while the old instances still use it.
 *
 * <p>New stores and topics are reported but allowed. What this cannot see: a change of a store's value format; that
 * is guarded by the schemas' compatibility tests and by keeping state serdes unchanged within a release line.
 */
public final class TopologyCompatibility {

    private static final String RELEASES = "/io/rtdw/streams/released-topology/";
    private static final String LATEST_RELEASE = "0.1.0";
    private static final Pattern STORES = Pattern.compile("\\(stores: \\[([^]]*)]\\)");
    private static final Pattern TOPICS = Pattern.compile("\\(topics?: \\[?([^])]*)]?\\)");

    private static final String USAGE = """
            Usage: topology-compat [--previous FILE] [--help]

            Compares this build's topology (stores and internal topics) with a released topology description and
            exits 1 when a rolling upgrade would orphan state: a store or an internal topic of the release is gone.
            Without --previous it compares with the last release shipped in this build (%s).
            """.formatted(LATEST_RELEASE);

    private TopologyCompatibility() {
    }

    /** The outcome: what disappeared (breaking) and what is new (allowed). */
    public record Report(Set<String> removed, Set<String> added) {
        public boolean compatible() {
            return removed.isEmpty();
        }

        @Override
        public String toString() {
            final List<String> lines = new ArrayList<>();
            removed.forEach(r -> lines.add("REMOVED " + r + "  (state of the running release would be orphaned)"));
            added.forEach(a -> lines.add("added   " + a));
            lines.add(compatible() ? "compatible: a rolling upgrade keeps every store and internal topic"
                    : "NOT compatible: deploy as a new application id, or keep the old names");
            return String.join("\n", lines);
        }
    }

    /** Compares two {@code Topology.describe()} texts. */
    public static Report compare(final String previous, final String current) {
        final Set<String> before = resources(previous);
        final Set<String> after = resources(current);
        final Set<String> removed = new TreeSet<>(before);
        removed.removeAll(after);
        final Set<String> added = new TreeSet<>(after);
        added.removeAll(before);
        return new Report(removed, added);
    }

    /** Stores ("store X") and internal topics ("topic X", names ending in -repartition) of a description. */
    static Set<String> resources(final String description) {
        final Set<String> out = new TreeSet<>();
        final Matcher stores = STORES.matcher(description);
        while (stores.find()) {
            for (final String s : stores.group(1).split(",")) {
                if (!s.isBlank()) {
                    out.add("store " + s.trim());
                }
            }
        }
        final Matcher topics = TOPICS.matcher(description);
        while (topics.find()) {
            for (final String t : topics.group(1).split(",")) {
                if (t.trim().endsWith("-repartition")) {
                    out.add("topic " + t.trim());
                }
            }
        }
        return out;
    }

    /** This build's description. */
    public static String currentDescription() {
        return UnifiedCustomerTopology.build(TopicCatalog.DEFAULT, RegistrySerdes.embedded(),
                new UnifiedCustomerTopology.Options(TopicCatalog.DEFAULT.partitions(), 100, false, Duration.ofDays(7),
                        false), new PipelineMetrics()).describe().toString();
    }

    /** A release's description shipped in this build. */
    public static String releasedDescription(final String version) throws IOException {
        try (InputStream in = TopologyCompatibility.class.getResourceAsStream(RELEASES + version + ".txt")) {
            if (in == null) {
                throw new IOException("no released topology " + version + " in this build");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    public static void main(final String[] args) throws IOException {
        String previous = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    System.out.print(USAGE);
                    return;
                }
                case "--previous" -> previous = Files.readString(Path.of(args[++i]));
                default -> {
                    System.err.println("unknown option " + args[i] + "\n" + USAGE);
                    System.exit(2);
                }
            }
        }
        final Report report = compare(previous != null ? previous : releasedDescription(LATEST_RELEASE),
                currentDescription());
        System.out.println(report);
        System.exit(report.compatible() ? 0 : 1);
    }
}
