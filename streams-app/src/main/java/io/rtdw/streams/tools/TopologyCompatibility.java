package io.rtdw.streams.tools;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.runtime.ConfigException;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.serde.SchemaHistory;
import io.rtdw.state.ChildState;
import io.rtdw.state.CustomerState;
import io.rtdw.state.TaskStats;
import io.rtdw.streams.config.StreamsSettings;
import io.rtdw.streams.ops.PipelineMetrics;
import io.rtdw.streams.topology.UnifiedCustomerTopology;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.internals.InternalTopologyBuilder;
import org.apache.kafka.streams.processor.internals.StoreFactory;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.SessionStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.TimestampedWindowStore;
import org.apache.kafka.streams.state.VersionedKeyValueStore;
import org.apache.kafka.streams.state.WindowStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code topology-compat}: the check operators run before a rolling upgrade ({@code kubectl rollout}, k8s/README.md).
 * It compares this build with the last release ({@value #LATEST_RELEASE}) and fails, listing every reason, when old
 * and new instances could not share the application's state during the rollout:
 * <ul>
 *   <li>a store or an internal topic of the release is gone (the new build would start that state from nothing);</li>
 *   <li>a store's type changed: persistent or in-memory, key-value / window / session, logged or not, the key or
 *       value serde class;</li>
 *   <li>a state value schema ({@link #STATE_SCHEMAS}) cannot read the release's, or the release's cannot read it:
 *       both directions, because old and new instances restore each other's changelog during the rollout (and a
 *       rollback reads what the new one wrote);</li>
 *   <li>with {@code --bootstrap-servers}: the CDC topics, the output and the changelog
 *       {@code <RTDW_APPLICATION_ID>-unified-state-changelog} do not all have {@code RTDW_TOPIC_PARTITIONS}
 *       partitions.</li>
 * </ul>
 * A release is kept in this build as two resources under {@value #RELEASES}: {@code <version>.txt}, its
 * {@code Topology.describe()}, and {@code <version>.manifest}, its store types and state schemas (the released
 * state schemas themselves are {@code io/rtdw/schemas/released/<Name>/v<N>.avsc} in the schemas module, read through
 * {@link SchemaHistory}). {@code TopologyGoldenTest} keeps the newest pair equal to this build and writes them.
 */
public final class TopologyCompatibility {

    private static final String RELEASES = "/io/rtdw/streams/released-topology/";
    /** The release in production, the default baseline. */
    public static final String LATEST_RELEASE = "0.2.0";
    private static final Pattern STORES = Pattern.compile("\\(stores: \\[([^]]*)]\\)");
    private static final Pattern TOPICS = Pattern.compile("\\(topics?: \\[?([^])]*)]?\\)");

    /**
     * The records the streams app keeps as state values (registry-framed, one artifact per record, see
     * {@code JoinState}). A new state record type belongs here; {@code StateUpgradeTest} fails on a store value it
     * cannot map to one of them.
     */
    public static final List<Schema> STATE_SCHEMAS = List.of(CustomerState.getClassSchema(),
            ChildState.getClassSchema(), TaskStats.getClassSchema(), UnifiedFlight.getClassSchema(),
            UnifiedVehicle.getClassSchema());

    private static final String USAGE = """
            Usage: topology-compat [--previous VERSION|FILE] [--bootstrap-servers HOST:PORT[,...]] [--help]

            Run before a rolling upgrade of the streams app. Compares this build with a release and exits 1, listing
            every reason, when old and new instances could not share the application's state:
              REMOVED  a store or internal topic of the release is gone (its state would be orphaned)
              CHANGED  a store's type (persistent/in-memory, key-value/window/session, logging, key/value serde),
                       a state value schema that cannot read the release's or that the release cannot read,
                       a partition count (only with --bootstrap-servers)
            Exit 0: compatible; 1: not compatible (deploy as a new application id, see k8s/README.md); 2: bad usage.

              --previous VERSION|FILE  the release to compare with: a version shipped in this build (default %s),
                                       or a Topology.describe() file; FOO.manifest beside FOO.txt is read if present
              --bootstrap-servers      also describe the CDC topics, the output and the changelog
                                       <RTDW_APPLICATION_ID>-unified-state-changelog on this cluster: all must have
                                       RTDW_TOPIC_PARTITIONS partitions. Reads RTDW_APPLICATION_ID, RTDW_TOPIC_* and
                                       the KAFKA_* client pass-through (TLS, SASL) like the app.
            """.formatted(LATEST_RELEASE);

    private TopologyCompatibility() {
    }

    /** What a store is, as far as the state in it and its changelog are concerned. */
    public record StoreType(String kind, boolean persistent, boolean logged, String keySerde, String valueSerde) {
        @Override
        public String toString() {
            return (persistent ? "persistent " : "in-memory ") + kind + (logged ? ", logged" : ", not logged")
                    + ", key " + keySerde + ", value " + valueSerde;
        }
    }

    /**
     * One state value schema of a release.
     *
     * @param released where it is kept ({@code <Name>/v<N>} under the schemas' released directory), null when no
     *                 released version equals it
     */
    public record StateSchema(Schema schema, String released) {
        public String name() {
            return schema.getFullName();
        }
    }

    /** The store types and state schemas of a release ({@code <version>.manifest}) or of this build. */
    public record Manifest(String version, Map<String, StoreType> stores, Map<String, StateSchema> stateSchemas) {

        /** The manifest file's text; every state schema must have a released version. */
        public String text() {
            final StringBuilder out = new StringBuilder();
            out.append("# topology-compat manifest of release ").append(version).append(": store types and state")
                    .append(" schemas.\n# Written by TopologyGoldenTest (-Drtdw.golden.update); a released version's")
                    .append(" file is what its instances run: never edit it.\n");
            stores.forEach((name, t) -> out.append("store ").append(name).append(" kind=").append(t.kind())
                    .append(" persistent=").append(t.persistent()).append(" logged=").append(t.logged())
                    .append(" key-serde=").append(t.keySerde()).append(" value-serde=").append(t.valueSerde())
                    .append('\n'));
            stateSchemas.forEach((name, s) -> {
                if (s.released() == null) {
                    throw new IllegalStateException("state schema " + name + " equals no released version");
                }
                out.append("state-schema ").append(name).append(" released=").append(s.released()).append('\n');
            });
            return out.toString();
        }

        /** Parses a manifest file; state schemas are read from {@link SchemaHistory}. */
        public static Manifest parse(final String version, final String text) {
            final Map<String, StoreType> stores = new TreeMap<>();
            final Map<String, StateSchema> schemas = new TreeMap<>();
            for (final String raw : text.split("\n")) {
                final String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                final String[] words = line.split("\\s+");
                final Map<String, String> attrs = new HashMap<>();
                for (int i = 2; i < words.length; i++) {
                    final int eq = words[i].indexOf('=');
                    if (eq < 0) {
                        throw new IllegalArgumentException("manifest " + version + ": bad line '" + line + "'");
                    }
                    attrs.put(words[i].substring(0, eq), words[i].substring(eq + 1));
                }
                switch (words[0]) {
                    case "store" -> stores.put(words[1], new StoreType(attr(attrs, "kind", line),
                            Boolean.parseBoolean(attr(attrs, "persistent", line)),
                            Boolean.parseBoolean(attr(attrs, "logged", line)), attr(attrs, "key-serde", line),
                            attr(attrs, "value-serde", line)));
                    case "state-schema" -> schemas.put(words[1],
                            new StateSchema(releasedSchema(attr(attrs, "released", line)), attr(attrs, "released", line)));
                    default -> throw new IllegalArgumentException("manifest " + version + ": bad line '" + line + "'");
                }
            }
            return new Manifest(version, stores, schemas);
        }

        private static String attr(final Map<String, String> attrs, final String name, final String line) {
            final String value = attrs.get(name);
            if (value == null) {
                throw new IllegalArgumentException("manifest line without " + name + ": '" + line + "'");
            }
            return value;
        }
    }

    /** A release to compare: its description and, from 0.2.0 on, its manifest (null for older releases). */
    public record Release(String version, String description, Manifest manifest) {
    }

    /**
     * The outcome. {@code removed} and {@code changed} break a rolling upgrade; {@code added} and {@code notes} are
     * for the reader.
     */
    public record Report(List<String> removed, List<String> changed, List<String> added, List<String> notes) {

        public boolean compatible() {
            return removed.isEmpty() && changed.isEmpty();
        }

        /** This report with {@code more}'s lines appended. */
        public Report plus(final Report more) {
            return new Report(concat(removed, more.removed), concat(changed, more.changed), concat(added, more.added),
                    concat(notes, more.notes));
        }

        private static List<String> concat(final List<String> a, final List<String> b) {
            final List<String> all = new ArrayList<>(a);
            all.addAll(b);
            return List.copyOf(all);
        }

        @Override
        public String toString() {
            final List<String> lines = new ArrayList<>();
            removed.forEach(r -> lines.add("REMOVED " + r + "  (state of the running release would be orphaned)"));
            changed.forEach(c -> lines.add("CHANGED " + c));
            added.forEach(a -> lines.add("added   " + a));
            notes.forEach(n -> lines.add("note    " + n));
            lines.add(compatible()
                    ? "verdict: compatible: a rolling upgrade keeps every store, internal topic and state format of"
                            + " the release"
                    : "verdict: NOT compatible (" + (removed.size() + changed.size()) + " reasons): do not roll out;"
                            + " deploy as a new application id (k8s/README.md, Rolling out the streams app) or undo"
                            + " the change");
            return String.join("\n", lines);
        }
    }

    // ---------------------------------------------------------------- comparing releases

    /** Compares two {@code Topology.describe()} texts: stores and internal topics only. */
    public static Report compare(final String previous, final String current) {
        final Set<String> before = resources(previous);
        final Set<String> after = resources(current);
        final Set<String> removed = new TreeSet<>(before);
        removed.removeAll(after);
        final Set<String> added = new TreeSet<>(after);
        added.removeAll(before);
        return new Report(List.copyOf(removed), List.of(), List.copyOf(added), List.of());
    }

    /** Compares a release with this build (or any two): names, then store types and state schemas. */
    public static Report compare(final Release previous, final Release current) {
        Report report = compare(previous.description(), current.description());
        if (previous.manifest() == null) {
            return report.plus(new Report(List.of(), List.of(), List.of(), List.of("release " + previous.version()
                    + " has no manifest: store types and state schemas not compared")));
        }
        final List<String> changed = new ArrayList<>();
        final List<String> added = new ArrayList<>();
        final Manifest before = previous.manifest();
        final Manifest after = current.manifest();
        before.stores().forEach((name, type) -> {
            final StoreType now = after.stores().get(name);
            if (now != null && !now.equals(type)) {
                changed.add("store " + name + ": was " + type + "; now " + now + "  (its local state and changelog"
                        + " cannot be read as the new type)");
            }
        });
        before.stateSchemas().forEach((name, released) -> {
            final StateSchema now = after.stateSchemas().get(name);
            if (now == null) {
                changed.add("state schema " + name + ": gone from this build, which cannot read the " + name
                        + " values release " + previous.version() + " wrote");
                return;
            }
            changed.addAll(stateSchemaChanges(name, released.schema(), now.schema(), previous.version()));
        });
        after.stateSchemas().keySet().stream().filter(n -> !before.stateSchemas().containsKey(n))
                .forEach(n -> added.add("state schema " + n));
        return report.plus(new Report(List.of(), changed, added, List.of()));
    }

    /**
     * Why a state schema and the release's cannot share state (empty when they can): this build must read what the
     * release wrote, and the release must read what this build writes (the other instances during the rollout, and
     * a rollback).
     */
    public static List<String> stateSchemaChanges(final String name, final Schema released, final Schema current,
                                                  final String version) {
        final List<String> out = new ArrayList<>();
        final String backward = incompatibilities(current, released);
        if (backward != null) {
            out.add("state schema " + name + ": this build cannot read the state release " + version + " wrote: "
                    + backward);
        }
        final String forward = incompatibilities(released, current);
        if (forward != null) {
            out.add("state schema " + name + ": release " + version + " cannot read the state this build writes"
                    + " (old instances restore it during the rollout): " + forward);
        }
        return out;
    }

    /**
     * {@link SchemaHistory}'s rule (Avro's reader/writer resolution), each problem told by field name: null when
     * {@code reader} reads what {@code writer} wrote.
     */
    static String incompatibilities(final Schema reader, final Schema writer) {
        if (SchemaHistory.backwardIncompatibilities(reader, writer) == null) {
            return null;
        }
        final List<String> out = new ArrayList<>();
        for (final SchemaCompatibility.Incompatibility i : SchemaCompatibility.checkReaderWriterCompatibility(reader,
                writer).getResult().getIncompatibilities()) {
            out.add(fieldPath(reader, i.getLocation()) + ": " + i.getMessage());
        }
        return String.join("; ", out);
    }

    /** A location like {@code /fields/4/type} as the reader's field names ({@code flight_count}). */
    private static String fieldPath(final Schema reader, final String location) {
        final String[] parts = location.split("/");
        final List<String> names = new ArrayList<>();
        Schema schema = reader;
        for (int i = 1; i < parts.length; i++) {
            if (parts[i].equals("fields") && i + 1 < parts.length && schema != null
                    && schema.getType() == Schema.Type.RECORD && parts[i + 1].matches("\\d+")) {
                final int index = Integer.parseInt(parts[++i]);
                if (index >= schema.getFields().size()) {
                    return location;
                }
                final Schema.Field field = schema.getFields().get(index);
                names.add(field.name());
                schema = field.schema();
            } else if (parts[i].matches("\\d+") && schema != null && schema.getType() == Schema.Type.UNION
                    && Integer.parseInt(parts[i]) < schema.getTypes().size()) {
                schema = schema.getTypes().get(Integer.parseInt(parts[i]));
            } else if (!parts[i].equals("type")) {
                schema = null;
            }
        }
        return names.isEmpty() ? location : "field " + String.join(".", names);
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

    // ---------------------------------------------------------------- this build

    /** This build's topology as it runs in production (persistent stores). */
    private static Topology currentTopology() {
        return UnifiedCustomerTopology.build(TopicCatalog.DEFAULT, RegistrySerdes.embedded(),
                new UnifiedCustomerTopology.Options(TopicCatalog.DEFAULT.partitions(), 100, false, Duration.ofDays(7),
                        false), new PipelineMetrics());
    }

    /** This build's description. */
    public static String currentDescription() {
        return currentTopology().describe().toString();
    }

    /** This build's store types and state schemas, each schema labelled with the released version equal to it. */
    public static Manifest currentManifest(final String version) {
        final Map<String, StateSchema> schemas = new TreeMap<>();
        for (final Schema schema : STATE_SCHEMAS) {
            schemas.put(schema.getFullName(), new StateSchema(schema, releasedVersionOf(schema)));
        }
        return new Manifest(version, storeTypes(currentTopology()), schemas);
    }

    /** This build as a release. */
    public static Release current() {
        return new Release("this build", currentDescription(), currentManifest("this build"));
    }

    /** {@code <Name>/v<N>} of the newest released version equal to {@code schema}, or null. */
    static String releasedVersionOf(final Schema schema) {
        final List<Schema> history = SchemaHistory.released(schema.getName());
        final String form = SchemaNormalization.toParsingForm(schema);
        for (int v = history.size(); v >= 1; v--) {
            if (SchemaNormalization.toParsingForm(history.get(v - 1)).equals(form)) {
                return schema.getName() + "/v" + v;
            }
        }
        return null;
    }

    private static Schema releasedSchema(final String label) {
        final Matcher m = Pattern.compile("([A-Za-z0-9_]+)/v(\\d+)").matcher(label);
        if (!m.matches()) {
            throw new IllegalArgumentException("released schema must be <Name>/v<N>, was " + label);
        }
        final List<Schema> history = SchemaHistory.released(m.group(1));
        final int v = Integer.parseInt(m.group(2));
        if (v < 1 || v > history.size()) {
            throw new IllegalArgumentException("no released schema " + label + " in this build");
        }
        return history.get(v - 1);
    }

    /**
     * Every store of {@code topology} and its type. Kafka Streams does not describe store types, so this reads its
     * topology builder (internal API, pinned by the build's Kafka version; {@code TopologyCompatibilityTest} fails
     * if that changes).
     */
    static Map<String, StoreType> storeTypes(final Topology topology) {
        final Map<String, StoreType> out = new TreeMap<>();
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "topology-compat");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "topology-compat.invalid:9092");
        final StreamsConfig config = new StreamsConfig(props);
        try {
            final Field field = Topology.class.getDeclaredField("internalTopologyBuilder");
            field.setAccessible(true);
            final InternalTopologyBuilder builder = (InternalTopologyBuilder) field.get(topology);
            for (final Map.Entry<String, StoreFactory> e : builder.stateStores().entrySet()) {
                final StoreFactory factory = e.getValue();
                factory.configure(config);
                final StoreBuilder<?> storeBuilder = factory.builder();
                final StateStore store = storeBuilder.build();
                out.put(e.getKey(), new StoreType(kind(store), store.persistent(), factory.loggingEnabled(),
                        serdeName(storeBuilder, "keySerde"), serdeName(storeBuilder, "valueSerde")));
            }
        } catch (final ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("cannot read the store types of the topology (Kafka Streams internals "
                    + "changed?)", e);
        }
        return out;
    }

    private static String kind(final StateStore store) {
        if (store instanceof TimestampedKeyValueStore) {
            return "timestamped-key-value";
        } else if (store instanceof VersionedKeyValueStore) {
            return "versioned-key-value";
        } else if (store instanceof KeyValueStore) {
            return "key-value";
        } else if (store instanceof TimestampedWindowStore) {
            return "timestamped-window";
        } else if (store instanceof WindowStore) {
            return "window";
        } else if (store instanceof SessionStore) {
            return "session";
        }
        return store.getClass().getName();
    }

    private static String serdeName(final StoreBuilder<?> builder, final String fieldName)
            throws ReflectiveOperationException {
        for (Class<?> c = builder.getClass(); c != null; c = c.getSuperclass()) {
            try {
                final Field f = c.getDeclaredField(fieldName);
                f.setAccessible(true);
                final Object serde = f.get(builder);
                return serde == null ? "default" : serde.getClass().getName();
            } catch (final NoSuchFieldException e) {
                // look in the superclass
            }
        }
        throw new NoSuchFieldException(fieldName + " of " + builder.getClass().getName());
    }

    // ---------------------------------------------------------------- releases shipped in this build

    /** A release's description shipped in this build. */
    public static String releasedDescription(final String version) throws IOException {
        final String text = resource(version + ".txt");
        if (text == null) {
            throw new IOException("no released topology " + version + " in this build");
        }
        return text;
    }

    /** A release shipped in this build: its description and its manifest (null when it has none). */
    public static Release released(final String version) throws IOException {
        final String manifest = resource(version + ".manifest");
        return new Release(version, releasedDescription(version),
                manifest == null ? null : Manifest.parse(version, manifest));
    }

    private static String resource(final String name) throws IOException {
        try (InputStream in = TopologyCompatibility.class.getResourceAsStream(RELEASES + name)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** {@code --previous}: a version shipped in this build, or a description file (and its .manifest beside it). */
    static Release previous(final String versionOrFile) throws IOException {
        if (versionOrFile.matches("\\d+(\\.\\d+)*")) {
            return released(versionOrFile);
        }
        final Path file = Path.of(versionOrFile);
        final String name = file.getFileName().toString();
        final Path manifest = file.resolveSibling((name.endsWith(".txt") ? name.substring(0, name.length() - 4) : name)
                + ".manifest");
        return new Release(name, Files.readString(file),
                Files.exists(manifest) ? Manifest.parse(name, Files.readString(manifest)) : null);
    }

    // ---------------------------------------------------------------- partition counts

    /** The topics whose partition counts must all be the catalog's: the CDC topics and the output. */
    static List<String> dataTopics(final TopicCatalog catalog) {
        return List.of(catalog.customers().name(), catalog.flights().name(), catalog.vehicles().name(),
                catalog.unifiedCustomers().name());
    }

    /** The changelog topic of the one store, as Kafka Streams names it. */
    static String changelog(final String applicationId) {
        return applicationId + "-" + UnifiedCustomerTopology.STATE + "-changelog";
    }

    /**
     * Checks partition counts found on the cluster ({@code found}: topic to partitions, a missing topic absent):
     * the CDC topics and the output must exist and all have {@code expected} partitions (the join finds a customer
     * and its children in one task only then), and the changelog, when it exists, the same (Kafka Streams refuses a
     * changelog whose count differs from its input's: its state was partitioned by the old count).
     */
    static Report partitions(final Map<String, Integer> found, final List<String> dataTopics, final String changelog,
                             final int expected) {
        final List<String> changed = new ArrayList<>();
        final List<String> notes = new ArrayList<>();
        final Map<String, Integer> counts = new LinkedHashMap<>();
        for (final String topic : dataTopics) {
            final Integer n = found.get(topic);
            if (n == null) {
                changed.add("topic " + topic + ": does not exist (create it first: io.rtdw.catalog.CreateTopics)");
            } else {
                counts.put(topic, n);
            }
        }
        final Integer changelogCount = found.get(changelog);
        if (changelogCount != null) {
            counts.put(changelog, changelogCount);
        } else {
            notes.add("changelog " + changelog + " does not exist yet: no state under this application id");
        }
        if (counts.values().stream().distinct().count() > 1) {
            changed.add("partitions differ between topics " + counts + ": the join needs the CDC topics, the output"
                    + " and its changelog partitioned alike");
        }
        counts.forEach((topic, n) -> {
            if (n != expected) {
                changed.add("partitions of " + topic + ": " + n + ", RTDW_TOPIC_PARTITIONS is " + expected);
            }
        });
        if (changed.isEmpty()) {
            notes.add("partitions: " + counts.size() + " topics with " + expected + " each");
        }
        return new Report(List.of(), changed, List.of(), notes);
    }

    /** Partition counts of {@code topics} on the cluster; a topic that does not exist is left out. */
    static Map<String, Integer> describePartitions(final Map<String, Object> adminConfig, final List<String> topics)
            throws InterruptedException, ExecutionException, TimeoutException {
        final Map<String, Integer> out = new TreeMap<>();
        try (Admin admin = Admin.create(adminConfig)) {
            final Map<String, KafkaFuture<TopicDescription>> futures =
                    admin.describeTopics(topics).topicNameValues();
            for (final String topic : topics) {
                try {
                    out.put(topic, futures.get(topic).get(60, TimeUnit.SECONDS).partitions().size());
                } catch (final ExecutionException e) {
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                        throw e;
                    }
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- command

    /**
     * Runs the command: prints the report to {@code out} and returns the exit code (0 compatible, 1 not, 2 bad
     * usage or configuration).
     *
     * @param environment where RTDW_* and KAFKA_* are read (the process environment)
     */
    public static int run(final String[] args, final Map<String, String> environment, final PrintStream out)
            throws IOException, InterruptedException {
        String previous = LATEST_RELEASE;
        String bootstrap = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    out.print(USAGE);
                    return 0;
                }
                case "--previous", "--bootstrap-servers" -> {
                    if (i + 1 >= args.length) {
                        out.println(args[i] + " needs a value\n" + USAGE);
                        return 2;
                    }
                    if (args[i].equals("--previous")) {
                        previous = args[++i];
                    } else {
                        bootstrap = args[++i];
                    }
                }
                default -> {
                    out.println("unknown option " + args[i] + "\n" + USAGE);
                    return 2;
                }
            }
        }
        final Release release;
        try {
            release = previous(previous);
        } catch (final IOException e) {
            out.println("cannot read the previous release: " + e.getMessage());
            return 2;
        }
        out.println("topology-compat: this build against release " + release.version());
        Report report = compare(release, current());
        if (bootstrap == null) {
            report = report.plus(new Report(List.of(), List.of(), List.of(), List.of(
                    "partitions not checked: give --bootstrap-servers to check them on the cluster")));
        } else {
            final Map<String, String> env = new HashMap<>(environment);
            env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), bootstrap);
            final StreamsSettings settings;
            try {
                settings = StreamsSettings.fromEnv(env);
            } catch (final ConfigException e) {
                out.println("bad configuration: " + e.getMessage());
                return 2;
            }
            final TopicCatalog catalog = settings.catalog();
            final List<String> topics = new ArrayList<>(dataTopics(catalog));
            topics.add(changelog(settings.applicationId()));
            try {
                report = report.plus(partitions(describePartitions(settings.kafka().admin(), topics),
                        dataTopics(catalog), changelog(settings.applicationId()), catalog.partitions()));
            } catch (final ExecutionException | TimeoutException e) {
                report = report.plus(new Report(List.of(), List.of("partitions: cannot describe " + topics + " on "
                        + bootstrap + ": " + (e.getCause() != null ? e.getCause() : e)), List.of(), List.of()));
            }
        }
        out.println(report);
        return report.compatible() ? 0 : 1;
    }

    public static void main(final String[] args) throws IOException, InterruptedException {
        System.exit(run(args, System.getenv(), System.out));
    }
}
