package io.rtdw.dev;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoCollection;
import io.rtdw.catalog.CustomerPartitioner;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.CdcConfig;
import io.rtdw.cdc.mongodb.Reactive;
import io.rtdw.cli.Help;
import io.rtdw.cli.TopicScan;
import io.rtdw.lake.ChangelogFile;
import io.rtdw.lake.LakeFileFilter;
import io.rtdw.lake.LakeSinkConfig;
import io.rtdw.lake.MinioObjectStore;
import io.rtdw.runtime.ConfigException;
import io.rtdw.runtime.Env;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.runtime.Setting;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.config.StreamsSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.bson.Document;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code rtdw erase --customer N}: removes what the pipeline still holds of one customer after the customer, its
 * flights and its vehicles were deleted at the source (README, "Personal data").
 *
 * <p>What it does, in this order, and only when every check passes (nothing is written otherwise):
 * <ol>
 * <li>checks that the source no longer has the customer, its flights or its vehicles (PostgreSQL; MongoDB when
 *     {@code MONGODB_URI} is set), unless {@code --skip-source-check};</li>
 * <li>reads the three CDC topics from the beginning: the customer's key, and every flight and vehicle whose before or
 *     after image named the customer. Each must be deleted there too (its last record holds no row), or, for a child,
 *     live under another customer now (it moved: kept, reported);</li>
 * <li>checks that the streams app's consumer group ({@code RTDW_APPLICATION_ID}) has read past those records: a
 *     tombstone lets compaction drop the DELETE event before it, and a reader that has not seen the DELETE would keep
 *     the row;</li>
 * <li>checks that the output topic ends the customer with a delete (marker or tombstone), and that the lake's
 *     changelog files already hold that delete (so no later file brings a row back);</li>
 * <li>writes a tombstone for each such key in each partition its records were written to (with the records' own key
 *     bytes): compaction then removes every earlier record of the key, the DELETE event with its before image
 *     included, within the topics' compaction bound ({@code TopicCatalog.COMPACTION_BOUNDS});</li>
 * <li>rewrites every lake file (changelog and snapshot, local directory and/or S3) that holds a row of the customer,
 *     without those rows, under the same name ({@link LakeFileFilter});</li>
 * <li>prints what it cannot do (Pinot's completed segments, backups) and a summary.</li>
 * </ol>
 * A second run finds only tombstones and no lake row, and says there is nothing to do.
 */
public final class Erase {

    static {
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "log4j2-dev-tools.xml");
        }
    }

    private static final String COMMAND = "erase";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** How long reading one topic to its end may take. */
    private static final Duration SCAN_TIMEOUT = Duration.ofHours(1);

    /** Every variable erase reads (the source's only without --skip-source-check, S3's only with --s3). */
    static final List<Setting<?>> SETTINGS = Setting.concat(KafkaClients.SETTINGS, RegistrySerdes.SETTINGS,
            TopicCatalog.SETTINGS, List.of(StreamsSettings.APPLICATION_ID, CdcConfig.PG_HOST, CdcConfig.PG_PORT,
                    CdcConfig.PG_DATABASE, CdcConfig.PG_USER, CdcConfig.PG_PASSWORD, CdcConfig.MONGODB_URI,
                    LakeSinkConfig.S3_ENDPOINT, LakeSinkConfig.S3_REGION, LakeSinkConfig.S3_BUCKET,
                    LakeSinkConfig.S3_ACCESS_KEY, LakeSinkConfig.S3_SECRET_KEY));

    private Erase() {
    }

    public static void main(final String[] args) {
        if (Help.asked(args)) {
            System.out.print(Help.text(COMMAND));
            return;
        }
        System.exit(run(List.of(args), System.getenv(), System.out, System.err));
    }

    /** The command line's options. */
    record Options(int customer, boolean dryRun, boolean skipSourceCheck, Path lake, boolean s3) {
    }

    /** Runs the command; returns its exit code ({@link Help#OK}, {@link Help#FAILED}, {@link Help#USAGE}). */
    public static int run(final List<String> args, final Map<String, String> environment, final PrintStream out,
                          final PrintStream err) {
        final Options options;
        try {
            options = parse(args);
        } catch (final IllegalArgumentException e) {
            return Help.usageError(COMMAND, e.getMessage(), err);
        }
        final Env env = Env.of(environment);
        final KafkaClients kafka = KafkaClients.fromEnv(env);
        final RegistrySerdes serdes = RegistrySerdes.fromEnv(env);
        final TopicCatalog catalog = TopicCatalog.fromEnv(env);
        final String group = env.get(StreamsSettings.APPLICATION_ID);
        final Source source = options.skipSourceCheck() ? null : Source.fromEnv(env, catalog);
        final S3 s3 = options.s3() ? S3.fromEnv(env) : null;
        try {
            env.validate();
        } catch (final ConfigException e) {
            return Help.usageError(COMMAND, String.join("; ", e.problems()), err);
        }
        try {
            return new Eraser(options, kafka, serdes, catalog, group, source, s3, out, err).erase();
        } catch (final RuntimeException e) {
            err.println("rtdw erase: failed: " + e.getMessage());
            return Help.FAILED;
        }
    }

    static Options parse(final List<String> args) {
        Integer customer = null;
        boolean dryRun = false;
        boolean skipSourceCheck = false;
        Path lake = null;
        boolean s3 = false;
        for (int i = 0; i < args.size(); i++) {
            final String arg = args.get(i);
            switch (arg) {
                case "--customer" -> {
                    if (i + 1 >= args.size()) {
                        throw new IllegalArgumentException("--customer needs a customer id");
                    }
                    try {
                        customer = Integer.parseInt(args.get(++i));
                    } catch (final NumberFormatException e) {
                        throw new IllegalArgumentException("--customer needs an integer id, got '" + args.get(i) + "'");
                    }
                }
                case "--dry-run" -> dryRun = true;
                case "--skip-source-check" -> skipSourceCheck = true;
                case "--lake" -> {
                    if (i + 1 >= args.size()) {
                        throw new IllegalArgumentException("--lake needs a directory (the bucket's, holding changelog/)");
                    }
                    lake = Path.of(args.get(++i));
                    if (!Files.isDirectory(lake)) {
                        throw new IllegalArgumentException("--lake " + lake + " is not a directory");
                    }
                }
                case "--s3" -> s3 = true;
                default -> throw new IllegalArgumentException("unknown argument '" + arg + "'");
            }
        }
        if (customer == null) {
            throw new IllegalArgumentException("--customer N is required");
        }
        return new Options(customer, dryRun, skipSourceCheck, lake, s3);
    }

    /** The state of one key in one partition, from its last record there. */
    record Last(long offset, boolean tombstone, Integer liveUnder, boolean namesCustomer) {
    }

    /** What the scan of one CDC topic found about the customer's keys. */
    static final class Keys {
        final String topic;
        final String kind;
        /** key id -> partition -> last record there; only keys that named the customer. */
        final Map<Integer, Map<Integer, Last>> last = new TreeMap<>();
        /** key id -> the key's bytes as written (tombstones reuse them). */
        final Map<Integer, byte[]> keyBytes = new HashMap<>();
        long records;
        /** Records whose key or value is not the topic's type (the streams app's dead letters): not looked into. */
        long undecodable;

        Keys(final String topic, final String kind) {
            this.topic = topic;
            this.kind = kind;
        }
    }

    /** A planned tombstone. */
    record Tombstone(String topic, int partition, int id, String kind, byte[] key, long after) {
    }

    /** PostgreSQL (and, when configured, MongoDB) as the source of truth. */
    record Source(String jdbcUrl, String user, String password, String schema, String mongoUri, String mongoDatabase) {

        static Source fromEnv(final Env env, final TopicCatalog catalog) {
            final String host = env.get(CdcConfig.PG_HOST);
            final Integer port = env.get(CdcConfig.PG_PORT);
            final String database = env.get(CdcConfig.PG_DATABASE);
            final String user = env.get(CdcConfig.PG_USER);
            final String password = env.get(CdcConfig.PG_PASSWORD);
            final String mongoUri = env.get(CdcConfig.MONGODB_URI);
            if (catalog == null) {
                return null;
            }
            return new Source("jdbc:postgresql://" + host + ":" + port + "/" + database, user, password,
                    catalog.pgSchema(), mongoUri, catalog.mongoDb());
        }

        /** Ids of {@code table} rows matching {@code column = value}. */
        Set<Integer> ids(final Connection connection, final String table, final String column, final int value)
                throws SQLException {
            final Set<Integer> ids = new TreeSet<>();
            try (PreparedStatement st = connection.prepareStatement(
                    "SELECT id FROM " + quote(schema) + "." + quote(table) + " WHERE " + quote(column) + " = ?")) {
                st.setQueryTimeout((int) TIMEOUT.toSeconds());
                st.setInt(1, value);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getInt(1));
                    }
                }
            }
            return ids;
        }

        /** Ids among {@code candidates} that {@code table} still has. */
        Set<Integer> present(final Connection connection, final String table, final Collection<Integer> candidates)
                throws SQLException {
            final Set<Integer> ids = new TreeSet<>();
            if (candidates.isEmpty()) {
                return ids;
            }
            try (PreparedStatement st = connection.prepareStatement(
                    "SELECT id FROM " + quote(schema) + "." + quote(table) + " WHERE id = ANY (?)")) {
                st.setQueryTimeout((int) TIMEOUT.toSeconds());
                st.setArray(1, connection.createArrayOf("integer", candidates.toArray()));
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getInt(1));
                    }
                }
            }
            return ids;
        }

        private static String quote(final String identifier) {
            return "\"" + identifier.replace("\"", "\"\"") + "\"";
        }

        boolean hasMongo() {
            return mongoUri != null && !mongoUri.isBlank();
        }

        /** Vehicle ids in MongoDB owned by {@code customer} or among {@code candidates}. */
        Set<Integer> vehicles(final int customer, final Collection<Integer> candidates) {
            final Set<Integer> ids = new TreeSet<>();
            try (MongoClient client = MongoClients.create(MongoClientSettings.builder()
                    .applyConnectionString(new ConnectionString(mongoUri))
                    .applyToClusterSettings(b -> b.serverSelectionTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                    .applyToSocketSettings(b -> b.connectTimeout(10, TimeUnit.SECONDS)
                            .readTimeout((int) TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                    .build())) {
                final MongoCollection<Document> vehicles = client.getDatabase(mongoDatabase).getCollection("vehicle");
                final List<Document> found = Reactive.all(vehicles.find(Filters.or(Filters.eq("customer_id", customer),
                        Filters.in("_id", candidates))).projection(Projections.include("_id")), TIMEOUT);
                for (final Document d : found) {
                    ids.add(((Number) d.get("_id")).intValue());
                }
            }
            return ids;
        }
    }

    /** The lake bucket on S3 (MinIO). */
    record S3(String endpoint, String region, String bucket, String accessKey, String secretKey) {

        static S3 fromEnv(final Env env) {
            return new S3(env.get(LakeSinkConfig.S3_ENDPOINT), env.get(LakeSinkConfig.S3_REGION),
                    env.get(LakeSinkConfig.S3_BUCKET), env.get(LakeSinkConfig.S3_ACCESS_KEY),
                    env.get(LakeSinkConfig.S3_SECRET_KEY));
        }

        MinioObjectStore open() {
            return new MinioObjectStore(endpoint, region, accessKey, secretKey, bucket);
        }
    }

    /** One run. */
    private static final class Eraser {
        private final Options options;
        private final int customer;
        private final KafkaClients kafka;
        private final RegistrySerdes serdes;
        private final TopicCatalog catalog;
        private final String group;
        private final Source source;
        private final S3 s3;
        private final PrintStream out;
        private final PrintStream err;
        private final List<String> refusals = new ArrayList<>();
        private final List<String> kept = new ArrayList<>();

        Eraser(final Options options, final KafkaClients kafka, final RegistrySerdes serdes, final TopicCatalog catalog,
               final String group, final Source source, final S3 s3, final PrintStream out, final PrintStream err) {
            this.options = options;
            this.customer = options.customer();
            this.kafka = kafka;
            this.serdes = serdes;
            this.catalog = catalog;
            this.group = group;
            this.source = source;
            this.s3 = s3;
            this.out = out;
            this.err = err;
        }

        int erase() {
            final long started = System.nanoTime();
            out.println("rtdw erase: customer " + customer + (options.dryRun() ? " (dry run: nothing is written)" : ""));
            if (source == null) {
                err.println("rtdw erase: WARNING: --skip-source-check: the source databases are not asked whether customer "
                        + customer + ", its flights and vehicles are deleted; a row still there is captured again");
            } else {
                checkSourceCustomer();
            }
            if (!refusals.isEmpty()) {
                return refuse();
            }

            final Keys customers = scan(catalog.customers(), "customer");
            final Keys flights = scan(catalog.flights(), "flight");
            final Keys vehicles = scan(catalog.vehicles(), "vehicle");
            final List<Tombstone> tombstones = new ArrayList<>();
            plan(customers, tombstones);
            plan(flights, tombstones);
            plan(vehicles, tombstones);
            if (source != null) {
                checkSourceChildren(flights, vehicles);
            }
            checkStreamsApp(tombstones);
            final OutputEnd outputEnd = outputEnd();
            final LakePlan lake = lakePlan(outputEnd);
            if (!refusals.isEmpty()) {
                return refuse();
            }

            kept.forEach(k -> out.println("  kept: " + k));
            for (final Tombstone t : tombstones) {
                out.println("  " + (options.dryRun() ? "would write" : "writing") + " a tombstone for " + t.kind() + " "
                        + t.id() + " to " + t.topic() + "-" + t.partition() + " (its last record there is at offset "
                        + t.after() + ")");
            }
            for (final Map.Entry<String, Long> f : lake.rows().entrySet()) {
                out.println("  " + (options.dryRun() ? "would rewrite" : "rewriting") + " " + f.getKey() + " without its "
                        + f.getValue() + " row(s) of customer " + customer);
            }
            if (!options.dryRun()) {
                writeTombstones(tombstones);
                rewrite(lake);
            }
            printManualSteps(outputEnd);
            final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            final long rows = lake.rows().values().stream().mapToLong(Long::longValue).sum();
            if (tombstones.isEmpty() && lake.rows().isEmpty()) {
                out.println("nothing to do: the CDC topics hold no record of customer " + customer
                        + " that a tombstone would remove, and no lake file checked holds a row of it ("
                        + lake.filesChecked() + " files checked, " + ms + " ms)");
            } else {
                out.println("summary: " + (options.dryRun() ? "would write " : "wrote ") + tombstones.size()
                        + " tombstone(s) (customer " + count(tombstones, "customer") + ", flights "
                        + count(tombstones, "flight") + ", vehicles " + count(tombstones, "vehicle") + "), "
                        + (options.dryRun() ? "would rewrite " : "rewrote ") + lake.rows().size() + " lake file(s) ("
                        + rows + " row(s) removed, " + lake.filesChecked() + " files checked), read "
                        + (customers.records + flights.records + vehicles.records) + " CDC records, in " + ms + " ms");
            }
            return Help.OK;
        }

        private static long count(final List<Tombstone> tombstones, final String kind) {
            return tombstones.stream().filter(t -> t.kind().equals(kind)).count();
        }

        private int refuse() {
            err.println("rtdw erase: refused, nothing was written:");
            refusals.forEach(r -> err.println("  - " + r));
            return Help.FAILED;
        }

        // ---- the source ----

        private void checkSourceCustomer() {
            try (Connection connection = DriverManager.getConnection(source.jdbcUrl(), source.user(), source.password())) {
                if (!source.ids(connection, "customers", "id", customer).isEmpty()) {
                    refusals.add("customer " + customer + " still exists in PostgreSQL " + source.schema()
                            + ".customers: delete it at the source first (README, Personal data, step 1)");
                }
                final Set<Integer> flights = source.ids(connection, "flight", "customer_id", customer);
                if (!flights.isEmpty()) {
                    refusals.add("PostgreSQL " + source.schema() + ".flight still has flight(s) " + flights
                            + " of customer " + customer + ": delete them first");
                }
            } catch (final SQLException e) {
                refusals.add("cannot ask PostgreSQL (" + source.jdbcUrl() + " as " + source.user() + "): " + e.getMessage()
                        + " (or run with --skip-source-check)");
            }
            if (source.hasMongo()) {
                try {
                    final Set<Integer> vehicles = source.vehicles(customer, List.of());
                    if (!vehicles.isEmpty()) {
                        refusals.add("MongoDB " + source.mongoDatabase() + ".vehicle still has vehicle(s) " + vehicles
                                + " of customer " + customer + ": delete them first");
                    }
                } catch (final RuntimeException e) {
                    refusals.add("cannot ask MongoDB: " + e.getMessage() + " (or run with --skip-source-check)");
                }
            } else {
                err.println("rtdw erase: MONGODB_URI is not set: MongoDB's vehicles are not checked at the source");
            }
        }

        /** A child that the topics say is gone must be gone at the source too, or its DELETE is still to come. */
        private void checkSourceChildren(final Keys flights, final Keys vehicles) {
            final List<Integer> goneFlights = gone(flights);
            final List<Integer> goneVehicles = gone(vehicles);
            try (Connection connection = DriverManager.getConnection(source.jdbcUrl(), source.user(), source.password())) {
                final Set<Integer> present = source.present(connection, "flight", goneFlights);
                if (!present.isEmpty()) {
                    refusals.add("flight(s) " + present + " are deleted in " + flights.topic + " but still in PostgreSQL"
                            + " (re-created?): delete them at the source, let the capture write it, then run again");
                }
            } catch (final SQLException e) {
                refusals.add("cannot ask PostgreSQL: " + e.getMessage());
            }
            if (source.hasMongo() && !goneVehicles.isEmpty()) {
                final Set<Integer> present = source.vehicles(Integer.MIN_VALUE, goneVehicles);
                if (!present.isEmpty()) {
                    refusals.add("vehicle(s) " + present + " are deleted in " + vehicles.topic + " but still in MongoDB"
                            + ": delete them at the source, let the capture write it, then run again");
                }
            }
        }

        private static List<Integer> gone(final Keys keys) {
            final List<Integer> ids = new ArrayList<>();
            keys.last.forEach((id, partitions) -> {
                if (partitions.values().stream().noneMatch(l -> l.liveUnder() != null)) {
                    ids.add(id);
                }
            });
            return ids;
        }

        // ---- the CDC topics ----

        @SuppressWarnings("unchecked")
        private <K, V extends org.apache.avro.specific.SpecificRecord> Keys scan(final Topic<K, V> topic, final String kind) {
            final Keys keys = new Keys(topic.name(), kind);
            final Deserializer<K> keyDeserializer = RegistrySerdes.keySerde(topic).deserializer();
            final Deserializer<V> valueDeserializer = serdes.valueSerde(topic).deserializer();
            final int partitions = partitionCount(topic.name());
            final long started = System.nanoTime();
            readAll(topic.name(), null, record -> {
                keys.records++;
                final K key;
                try {
                    key = keyDeserializer.deserialize(topic.name(), record.key());
                } catch (final RuntimeException e) {
                    keys.undecodable++;
                    return;
                }
                final int id = keyId(key);
                final int p = record.partition();
                if (record.value() == null) {
                    final Map<Integer, Last> known = keys.last.get(id);
                    if (known != null) {
                        known.put(p, new Last(record.offset(), true, null, false));
                    }
                    return;
                }
                final V value;
                try {
                    value = valueDeserializer.deserialize(topic.name(), record.headers(), record.value());
                } catch (final RuntimeException e) {
                    keys.undecodable++;
                    return;
                }
                final Integer before;
                final Integer after;
                if (value instanceof CustomerChange c) {
                    before = c.getBefore() == null ? null : c.getBefore().getId();
                    after = c.getAfter() == null ? null : c.getAfter().getId();
                } else if (value instanceof FlightChange f) {
                    before = f.getBefore() == null ? null : f.getBefore().getCustomerId();
                    after = f.getAfter() == null ? null : f.getAfter().getCustomerId();
                } else if (value instanceof VehicleChange v) {
                    before = v.getBefore() == null ? null : v.getBefore().getCustomerId();
                    after = v.getAfter() == null ? null : v.getAfter().getCustomerId();
                } else {
                    keys.undecodable++;
                    return;
                }
                final boolean names = value instanceof CustomerChange ? id == customer
                        : Integer.valueOf(customer).equals(before) || Integer.valueOf(customer).equals(after);
                if (!names && !keys.last.containsKey(id)) {
                    return;
                }
                // Live in this partition: its row's customer belongs here (a move leaves the old partition without it).
                final Integer liveUnder = after != null
                        && (value instanceof CustomerChange || CustomerPartitioner.partition(after, partitions) == p)
                        ? after : null;
                keys.last.computeIfAbsent(id, k -> new TreeMap<>()).put(p, new Last(record.offset(), false, liveUnder, names));
                keys.keyBytes.putIfAbsent(id, record.key());
            });
            out.println("  read " + keys.records + " records of " + topic.name() + " in "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms: " + keys.last.size() + " "
                    + kind + " key(s) of customer " + customer);
            if (keys.undecodable > 0) {
                err.println("rtdw erase: WARNING: " + keys.undecodable + " record(s) of " + topic.name() + " cannot be"
                        + " decoded (the streams app's dead letters; `rtdw dlq` lists them) and were not looked into");
            }
            return keys;
        }

        private static int keyId(final Object key) {
            if (key instanceof CustomerKey k) {
                return k.getId();
            }
            if (key instanceof FlightKey k) {
                return k.getId();
            }
            if (key instanceof VehicleKey k) {
                return k.getId();
            }
            throw new IllegalStateException("unexpected key " + key);
        }

        /** Tombstones for the keys that are deleted in the topic; refusals for those still live under the customer. */
        private void plan(final Keys keys, final List<Tombstone> tombstones) {
            keys.last.forEach((id, partitions) -> {
                final Map.Entry<Integer, Last> live = partitions.entrySet().stream()
                        .filter(e -> e.getValue().liveUnder() != null).findFirst().orElse(null);
                if (live != null && live.getValue().liveUnder() == customer) {
                    refusals.add(keys.kind + " " + id + " of customer " + customer + " is not deleted in " + keys.topic
                            + " (its last record in partition " + live.getKey() + ", offset " + live.getValue().offset()
                            + ", holds the row): delete it at the source and let the capture write the delete first");
                    return;
                }
                if (live != null) {
                    partitions.forEach((p, last) -> {
                        if (last.namesCustomer()) {
                            kept.add(keys.kind + " " + id + " now belongs to customer " + live.getValue().liveUnder()
                                    + ": no tombstone; its record in " + keys.topic + "-" + p + " at offset "
                                    + last.offset() + " names customer " + customer + " in its before image until the "
                                    + keys.kind + " changes again there");
                        }
                    });
                    return;
                }
                partitions.forEach((p, last) -> {
                    if (!last.tombstone()) {
                        tombstones.add(new Tombstone(keys.topic, p, id, keys.kind, keys.keyBytes.get(id), last.offset()));
                    }
                });
            });
        }

        /**
         * The streams app must have read every record a tombstone will make compactable: otherwise compaction could
         * drop the DELETE it has not applied yet, and it would keep the row.
         */
        private void checkStreamsApp(final List<Tombstone> tombstones) {
            if (tombstones.isEmpty()) {
                return;
            }
            final Map<TopicPartition, OffsetAndMetadata> committed;
            try (Admin admin = Admin.create(kafka.admin())) {
                committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                        .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (final Exception e) {
                refusals.add("cannot read the committed offsets of the streams app's group " + group + ": " + e.getMessage());
                return;
            }
            if (committed.isEmpty()) {
                err.println("rtdw erase: WARNING: the consumer group " + group + " (RTDW_APPLICATION_ID) has no committed"
                        + " offsets: no streams app has read the CDC topics under that id, so there is none to protect");
                return;
            }
            for (final Tombstone t : tombstones) {
                final OffsetAndMetadata at = committed.get(new TopicPartition(t.topic(), t.partition()));
                if (at == null || at.offset() <= t.after()) {
                    refusals.add("the streams app (group " + group + ") has not read " + t.topic() + "-" + t.partition()
                            + " past offset " + t.after() + " (" + t.kind() + " " + t.id() + "'s last record; it is at "
                            + (at == null ? "nothing" : String.valueOf(at.offset())) + "): run again when it has caught up");
                }
            }
        }

        /** How the output topic ends customer N: the offset of its last record that has a value, and whether it is a delete. */
        record OutputEnd(int partition, long lastValueOffset, boolean deleted) {
        }

        private OutputEnd outputEnd() {
            final Topic<CustomerKey, UnifiedCustomer> topic = catalog.unifiedCustomers();
            final int partition = CustomerPartitioner.partition(customer, partitionCount(topic.name()));
            final Deserializer<CustomerKey> keys = RegistrySerdes.keySerde(topic).deserializer();
            final Deserializer<UnifiedCustomer> values = serdes.valueSerde(topic).deserializer();
            final long[] lastValue = {-1};
            final boolean[] deleted = {true};
            readAll(topic.name(), partition, record -> {
                if (keys.deserialize(topic.name(), record.key()).getId() != customer) {
                    return;
                }
                if (record.value() == null) {
                    deleted[0] = true;
                    return;
                }
                lastValue[0] = record.offset();
                deleted[0] = values.deserialize(topic.name(), record.headers(), record.value()).getDeleted();
            });
            if (!deleted[0]) {
                refusals.add("the output topic " + topic.name() + " still shows customer " + customer + " (offset "
                        + lastValue[0] + " of partition " + partition + " is not a delete): the streams app has not"
                        + " processed the deletion yet; run again when it has");
            }
            return new OutputEnd(partition, lastValue[0], deleted[0]);
        }

        // ---- the lake ----

        /** Lake files with rows of the customer (name -> rows), and how many files were looked at. */
        record LakePlan(Map<String, Long> rows, int filesChecked, Map<String, Path> local, Path downloads) {
        }

        private LakePlan lakePlan(final OutputEnd outputEnd) {
            final Map<String, Long> rows = new LinkedHashMap<>();
            final Map<String, Path> files = new LinkedHashMap<>();
            int checked = 0;
            Path downloads = null;
            if (options.lake() == null && s3 == null) {
                err.println("rtdw erase: neither --lake DIR nor --s3 given: the Parquet lake is not touched");
                return new LakePlan(rows, 0, files, null);
            }
            final List<String> names = new ArrayList<>();
            final Map<String, Path> where = new LinkedHashMap<>();
            if (options.lake() != null) {
                try (Stream<Path> walk = Files.walk(options.lake())) {
                    walk.filter(f -> f.getFileName().toString().endsWith(".parquet") && !f.getFileName().toString().startsWith("."))
                            .sorted().forEach(f -> {
                                final String name = options.lake().relativize(f).toString().replace('\\', '/');
                                if (name.startsWith(ChangelogFile.PREFIX) || name.startsWith("snapshot/")) {
                                    names.add("lake:" + name);
                                    where.put("lake:" + name, f);
                                }
                            });
                } catch (final IOException e) {
                    throw new UncheckedIOException("cannot list " + options.lake(), e);
                }
            }
            if (s3 != null) {
                try (MinioObjectStore store = s3.open()) {
                    downloads = Files.createTempDirectory("rtdw-erase-");
                    for (final String object : store.list("")) {
                        if (object.endsWith(".parquet")
                                && (object.startsWith(ChangelogFile.PREFIX) || object.startsWith("snapshot/"))) {
                            final Path local = downloads.resolve(Integer.toString(names.size()) + ".parquet");
                            store.download(object, local);
                            names.add("s3://" + s3.bucket() + "/" + object);
                            where.put("s3://" + s3.bucket() + "/" + object, local);
                        }
                    }
                } catch (final IOException e) {
                    throw new UncheckedIOException("cannot create a temporary directory", e);
                }
            }
            checkLakeReachedDelete(names, outputEnd);
            for (final String name : names) {
                checked++;
                final Path file = where.get(name);
                if (!LakeFileFilter.mayHold(file, customer)) {
                    continue;
                }
                try {
                    final long n = LakeFileFilter.count(file, customer);
                    if (n > 0) {
                        rows.put(name, n);
                        files.put(name, file);
                    }
                } catch (final IOException e) {
                    throw new UncheckedIOException("cannot read " + name, e);
                }
            }
            return new LakePlan(rows, checked, files, downloads);
        }

        /** The changelog of the customer's partition must reach its delete, or a later file would bring its rows back. */
        private void checkLakeReachedDelete(final List<String> names, final OutputEnd outputEnd) {
            if (outputEnd.lastValueOffset() < 0) {
                return;
            }
            long reached = -1;
            for (final String name : names) {
                final int at = name.indexOf(ChangelogFile.PREFIX);
                final ChangelogFile file = at < 0 ? null : ChangelogFile.parse(name.substring(at)).orElse(null);
                if (file != null && file.partition() == outputEnd.partition()) {
                    reached = Math.max(reached, file.lastOffset());
                }
            }
            if (reached < outputEnd.lastValueOffset()) {
                refusals.add("the lake's changelog of partition " + outputEnd.partition() + " reaches offset " + reached
                        + ", not yet customer " + customer + "'s delete at offset " + outputEnd.lastValueOffset()
                        + ": run again when the lake sink has written it (RTDW_LAKE_FLUSH_INTERVAL_MS)");
            }
        }

        private void rewrite(final LakePlan lake) {
            if (lake.rows().isEmpty()) {
                deleteQuietly(lake.downloads());
                return;
            }
            MinioObjectStore store = null;
            try {
                for (final Map.Entry<String, Path> f : lake.local().entrySet()) {
                    final long removed = LakeFileFilter.removeCustomer(f.getValue(), customer);
                    if (f.getKey().startsWith("s3://")) {
                        if (store == null) {
                            store = s3.open();
                        }
                        store.put(f.getKey().substring(("s3://" + s3.bucket() + "/").length()), f.getValue());
                    }
                    out.println("  rewrote " + f.getKey() + ": " + removed + " row(s) removed");
                }
            } finally {
                if (store != null) {
                    store.close();
                }
                deleteQuietly(lake.downloads());
            }
        }

        private static void deleteQuietly(final Path dir) {
            if (dir == null) {
                return;
            }
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (final IOException e) {
                // a temporary directory: the OS cleans it
            }
        }

        // ---- writing ----

        private void writeTombstones(final List<Tombstone> tombstones) {
            if (tombstones.isEmpty()) {
                return;
            }
            final Map<String, Object> config = kafka.producer("rtdw-erase");
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config, new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                final List<Future<RecordMetadata>> sent = new ArrayList<>();
                for (final Tombstone t : tombstones) {
                    sent.add(producer.send(new ProducerRecord<>(t.topic(), t.partition(), t.key(), null)));
                }
                producer.flush();
                for (int i = 0; i < sent.size(); i++) {
                    final RecordMetadata m = sent.get(i).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                    out.println("  wrote the tombstone of " + tombstones.get(i).kind() + " " + tombstones.get(i).id()
                            + " at " + m.topic() + "-" + m.partition() + "@" + m.offset());
                }
            } catch (final Exception e) {
                throw new IllegalStateException("cannot write the tombstones (run again: it writes only the missing ones): "
                        + e.getMessage(), e);
            }
        }

        private void printManualSteps(final OutputEnd outputEnd) {
            out.println("not done by this command (README, \"Personal data\"):");
            out.println("  - compaction: the tombstones make every earlier record of these keys removable; Kafka removes"
                    + " them within the topics' max.compaction.lag.ms (7 days) once their segment is closed"
                    + " (segment.ms, 1 day; Kafka closes a segment only when a later record arrives in that partition),"
                    + " the tombstones delete.retention.ms (1 day) later");
            out.println("  - output topic " + catalog.unifiedCustomers().name() + ": the streams app wrote customer "
                    + customer + "'s delete marker and tombstone" + (outputEnd.lastValueOffset() < 0 ? "" : " (partition "
                    + outputEnd.partition() + ", offset " + outputEnd.lastValueOffset() + ")")
                    + "; older versions go by the same compaction; the streams app's changelog likewise");
            out.println("  - Pinot: completed segments of table unified_customer still hold earlier versions of customer "
                    + customer + " (upsert hides them; SELECT ... OPTION(skipUpsert=true) shows them). Next step: on"
                    + " Pinot 1.x run the UpsertCompactionTask minion task on the table; on Pinot 0.11 (local stack)"
                    + " once the output topic is compacted, delete the table and create it again so it re-reads the topic");
            out.println("  - dead-letter topics " + catalog.cdcDeadLetters().name() + ", " + catalog.streamsDeadLetters().name()
                    + ", " + catalog.lakeSinkDeadLetters().name() + ": not searched; their records expire after 14 days");
            out.println("  - S3 object versions (if the bucket keeps them) and backups of topics, buckets and databases");
        }

        // ---- Kafka helpers ----

        private int partitionCount(final String topic) {
            try (TopicScan scan = new TopicScan(kafka, "rtdw-erase", true, TIMEOUT)) {
                return scan.partitions(topic).size();
            } catch (final TopicScan.Failed e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }

        /** Reads {@code topic} (one partition, or all when null) from the beginning to its end, committed records only. */
        private void readAll(final String topic, final Integer partition,
                             final java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
            try (TopicScan scan = new TopicScan(kafka, "rtdw-erase", true, TIMEOUT)) {
                final List<TopicPartition> partitions = scan.partitions(topic).stream()
                        .filter(p -> partition == null || p.partition() == partition).toList();
                scan.bounded(scan.beginning(partitions), scan.end(partitions), SCAN_TIMEOUT, record -> {
                    each.accept(record);
                    return true;
                });
            } catch (final TopicScan.Failed e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }
    }
}
