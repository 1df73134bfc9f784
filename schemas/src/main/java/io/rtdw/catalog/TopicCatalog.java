package io.rtdw.catalog;

import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;

import io.rtdw.runtime.ConfigException;
import io.rtdw.runtime.Env;
import io.rtdw.runtime.Setting;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The one place that names every topic of the pipeline. Nothing else in the code spells a topic name.
 *
 * <p>CDC topics follow Debezium's {@code <prefix>.<schema>.<table>} naming; MongoDB's collection lives in database
 * {@code <mongoDb>}, so its topic is {@code <prefix>.<mongoDb>.vehicle}. All topics have replication factor 3 and
 * {@code min.insync.replicas=2}; table-like topics (CDC, output) are compacted with {@link #COMPACTION_BOUNDS} (so an
 * overwritten or deleted value is gone within a known time), dead letters are kept 14 days.
 *
 * @param prefix    topic prefix, Debezium's {@code topic.prefix}
 * @param pgSchema  PostgreSQL schema of the source tables
 * @param mongoDb   MongoDB database of the vehicle collection
 * @param partitions default partition count of data topics
 * @param replicationFactor replication factor of every topic (3 in production; tests with fewer brokers may lower it)
 */
public record TopicCatalog(String prefix, String pgSchema, String mongoDb, int partitions, short replicationFactor) {

    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]+");
    private static final String MIN_ISR = "2";
    private static final long DAY_MS = 24L * 60 * 60 * 1000;
    private static final long DEAD_LETTER_RETENTION_MS = 14 * DAY_MS;

    /**
     * Topic settings that bound how long a superseded value (an older version of a row, a DELETE event followed by a
     * tombstone) stays in a compacted topic holding personal data: the CDC topics, the output topic and, through
     * {@code topic.}-prefixed Streams settings, the streams app's changelog. Kafka does not compact the active
     * segment and, left to itself, cleans a log only when half of it is dirty; with these a segment is closed after
     * one day ({@code segment.ms}; Kafka rolls a segment only when a record is appended after that), every record in
     * a closed segment becomes compactable at most seven days after it was written ({@code max.compaction.lag.ms},
     * whatever the dirty ratio), and a tombstone is dropped one day after its segment was cleaned
     * ({@code delete.retention.ms}, Kafka's default, made explicit). So a value overwritten or tombstoned at time t is
     * gone by about t + 8 days plus the cleaner's backlog, in a partition that keeps receiving records.
     * {@code min.compaction.lag.ms} stays 0 (Kafka's default): no reader needs superseded versions (see the README,
     * "Personal data").
     */
    public static final Map<String, String> COMPACTION_BOUNDS = Map.of(
            "segment.ms", String.valueOf(DAY_MS),
            "max.compaction.lag.ms", String.valueOf(7 * DAY_MS),
            "delete.retention.ms", String.valueOf(DAY_MS));

    /** Production defaults: prefix {@code rtdw}, schema {@code public}, database {@code rtdw}, 6 partitions, RF 3. */
    public static final TopicCatalog DEFAULT = new TopicCatalog("rtdw", "public", "rtdw", 6, (short) 3);


    public TopicCatalog {
        for (final String part : List.of(prefix, pgSchema, mongoDb)) {
            if (!LEGAL.matcher(Objects.requireNonNull(part)).matches()) {
                throw new IllegalArgumentException("illegal topic name part '" + part + "': use letters, digits, '.', '_', '-'");
            }
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, was " + partitions);
        }
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("replication factor must be >= 1, was " + replicationFactor);
        }
    }

    public static final Setting<String> PREFIX = Setting.string("RTDW_TOPIC_PREFIX", DEFAULT.prefix(),
            "first part of every topic name (Debezium's topic.prefix)");
    public static final Setting<String> PG_SCHEMA = Setting.string("RTDW_PG_SCHEMA", DEFAULT.pgSchema(),
            "PostgreSQL schema of customers and flight (middle part of their topic names)");
    public static final Setting<String> MONGO_DATABASE = Setting.string("RTDW_MONGO_DATABASE", DEFAULT.mongoDb(),
            "MongoDB database of the vehicle collection (middle part of its topic name)");
    public static final Setting<Integer> PARTITIONS = Setting.integer("RTDW_TOPIC_PARTITIONS", DEFAULT.partitions(),
            1, 10_000, "partitions of the data topics");
    public static final Setting<Integer> REPLICATION_FACTOR = Setting.integer("RTDW_REPLICATION_FACTOR",
            DEFAULT.replicationFactor(), 1, Short.MAX_VALUE, "replication factor of every topic, internal ones included");

    /** Every variable {@link #fromEnv(Env)} reads. */
    public static final List<Setting<?>> SETTINGS = List.of(PREFIX, PG_SCHEMA, MONGO_DATABASE, PARTITIONS,
            REPLICATION_FACTOR);

    /** Reads the catalog ({@link #SETTINGS}); problems are recorded in {@code env}, and {@code null} returned then. */
    public static TopicCatalog fromEnv(final Env env) {
        final String prefix = env.get(PREFIX);
        final String pgSchema = env.get(PG_SCHEMA);
        final String mongoDb = env.get(MONGO_DATABASE);
        final Integer partitions = env.get(PARTITIONS);
        final Integer rf = env.get(REPLICATION_FACTOR);
        if (partitions == null || rf == null) {
            return null;
        }
        try {
            return new TopicCatalog(prefix, pgSchema, mongoDb, partitions, rf.shortValue());
        } catch (final IllegalArgumentException e) {
            env.check(false, "RTDW_TOPIC_PREFIX, RTDW_PG_SCHEMA, RTDW_MONGO_DATABASE: " + e.getMessage());
            return null;
        }
    }

    /** Reads and validates the catalog from {@code environment}; throws a {@link ConfigException} naming every problem. */
    public static TopicCatalog fromEnv(final Map<String, String> environment) {
        return Env.read(environment, TopicCatalog::fromEnv);
    }

    /** CDC of PostgreSQL {@code public.customers}. */
    public Topic<CustomerKey, CustomerChange> customers() {
        return new Topic<>(prefix + "." + pgSchema + ".customers", partitions, replicationFactor,
                CustomerKey.class, CustomerChange.class, compactedBounded());
    }

    /** CDC of PostgreSQL {@code public.flight}. */
    public Topic<FlightKey, FlightChange> flights() {
        return new Topic<>(prefix + "." + pgSchema + ".flight", partitions, replicationFactor,
                FlightKey.class, FlightChange.class, compactedBounded());
    }

    /** CDC of the MongoDB collection {@code vehicle}. */
    public Topic<VehicleKey, VehicleChange> vehicles() {
        return new Topic<>(prefix + "." + mongoDb + ".vehicle", partitions, replicationFactor,
                VehicleKey.class, VehicleChange.class, compactedBounded());
    }

    /** The warehouse output: one {@link UnifiedCustomer} per customer, read by Pinot and the lake sink. */
    public Topic<CustomerKey, UnifiedCustomer> unifiedCustomers() {
        return new Topic<>(prefix + ".warehouse.unified_customer", partitions, replicationFactor,
                CustomerKey.class, UnifiedCustomer.class, compactedBounded());
    }

    /** Dead letters of the CDC processes (rows that could not be mapped). Key: original key bytes. */
    public Topic<byte[], DeadLetter> cdcDeadLetters() {
        return deadLetters("cdc");
    }

    /** Dead letters of the streams app (undeserializable or contract-breaking input). Key: original key bytes. */
    public Topic<byte[], DeadLetter> streamsDeadLetters() {
        return deadLetters("streams");
    }

    /** Dead letters of the lake sink. Key: original key bytes. */
    public Topic<byte[], DeadLetter> lakeSinkDeadLetters() {
        return deadLetters("lake-sink");
    }

    /**
     * Offsets of the embedded Debezium engines (the CDC process): Kafka Connect's offset-store format, one
     * compacted partition, RF 3. Each engine writes under its own name, so PostgreSQL and MongoDB share the topic.
     */
    public Topic<byte[], byte[]> cdcOffsets() {
        return new Topic<>(prefix + ".cdc.offsets", 1, replicationFactor, byte[].class, byte[].class, compacted());
    }

    /**
     * Debezium heartbeats ({@code __debezium-heartbeat.<prefix>}, Debezium's default name): written by the
     * connectors when they run on Kafka Connect, so the replication slot advances while the tables are quiet.
     */
    public Topic<byte[], byte[]> cdcHeartbeats() {
        final Map<String, String> configs = base();
        configs.put("cleanup.policy", "delete");
        configs.put("retention.ms", String.valueOf(24L * 60 * 60 * 1000));
        return new Topic<>("__debezium-heartbeat." + prefix, 1, replicationFactor, byte[].class, byte[].class, configs);
    }

    /** The three CDC topics, in the order customers, flights, vehicles. */
    public List<Topic<?, ?>> cdcTopics() {
        return List.of(customers(), flights(), vehicles());
    }

    /** Every topic the pipeline needs, for creation and for policy checks. */
    public List<Topic<?, ?>> all() {
        return List.of(customers(), flights(), vehicles(), unifiedCustomers(),
                cdcDeadLetters(), streamsDeadLetters(), lakeSinkDeadLetters(), cdcOffsets(), cdcHeartbeats());
    }

    private Topic<byte[], DeadLetter> deadLetters(final String stage) {
        final Map<String, String> configs = base();
        configs.put("cleanup.policy", "delete");
        configs.put("retention.ms", String.valueOf(DEAD_LETTER_RETENTION_MS));
        return new Topic<>(prefix + ".dlq." + stage, 1, replicationFactor, byte[].class, DeadLetter.class, configs);
    }

    private Map<String, String> compacted() {
        final Map<String, String> configs = base();
        configs.put("cleanup.policy", "compact");
        return configs;
    }

    /** Compacted, with the bounds of {@link #COMPACTION_BOUNDS}: the topics that hold personal data. */
    private Map<String, String> compactedBounded() {
        final Map<String, String> configs = compacted();
        configs.putAll(new TreeMap<>(COMPACTION_BOUNDS));
        return configs;
    }

    private Map<String, String> base() {
        final Map<String, String> configs = new LinkedHashMap<>();
        configs.put("min.insync.replicas", replicationFactor >= 2 ? MIN_ISR : "1");
        configs.put("unclean.leader.election.enable", "false");
        return configs;
    }
}
