package io.rtdw.cdc;

import io.rtdw.catalog.SharedSettings;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.runtime.Env;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.runtime.OpsServer;
import io.rtdw.runtime.Setting;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Configuration of the CDC process, read once from the environment ({@link #SETTINGS}) and validated at start.
 *
 * @param kafka          Kafka clients ({@code KAFKA_BOOTSTRAP_SERVERS}, {@code KAFKA_*}, {@code RTDW_MAX_IN_FLIGHT})
 * @param sources        {@link #SOURCES}
 * @param epochLabel     {@link #EPOCH}
 * @param maxTxChanges   {@link #MAX_TX_CHANGES}
 * @param catalog        the topic catalog ({@code RTDW_TOPIC_PREFIX} ...)
 */
public record CdcConfig(KafkaClients kafka, Set<Source> sources,
                        String pgHost, int pgPort, String pgDatabase, String pgUser, String pgPassword,
                        String pgSlot, String pgPublication, boolean pgInitSchema,
                        String mongoUri, boolean mongoPreImages,
                        long offsetFlushMs, long heartbeatMs,
                        int maxRetries, long retryBackoffMs, String snapshotMode, long pollIntervalMs,
                        String pgHeartbeatQuery, String epochLabel, int maxTxChanges, TopicCatalog catalog) {

    /** A database the process can capture. */
    public enum Source { POSTGRES, MONGODB }

    public static final Setting<String> SOURCES = Setting.string("RTDW_CDC_SOURCES", "postgres,mongodb",
            "which captures run: postgres, mongodb or both (comma-separated)");
    public static final Setting<String> PG_HOST = SharedSettings.PG_HOST;
    public static final Setting<Integer> PG_PORT = SharedSettings.PG_PORT;
    public static final Setting<String> PG_DATABASE = SharedSettings.PG_DATABASE;
    public static final Setting<String> PG_USER = SharedSettings.PG_USER;
    public static final Setting<String> PG_PASSWORD = SharedSettings.PG_PASSWORD;
    public static final Setting<String> PG_SLOT = Setting.string("RTDW_PG_SLOT", "rtdw_cdc",
            "logical replication slot (created when missing)");
    public static final Setting<String> PG_PUBLICATION = Setting.string("RTDW_PG_PUBLICATION", "rtdw_publication",
            "publication of the captured tables (sql/002_cdc.sql)");
    public static final Setting<Boolean> PG_INIT_SCHEMA = Setting.bool("RTDW_PG_INIT_SCHEMA", false,
            "apply the module's SQL (tables, publication) at start: local stack and tests only");
    public static final Setting<String> PG_HEARTBEAT_QUERY = Setting.string("RTDW_PG_HEARTBEAT_ACTION_QUERY", "",
            "optional Debezium heartbeat.action.query (empty: none)");
    public static final Setting<String> MONGODB_URI = SharedSettings.MONGODB_URI;
    public static final Setting<Boolean> MONGO_PRE_IMAGES = Setting.bool("RTDW_MONGO_PRE_IMAGES", true,
            "capture pre-images: the collection must have changeStreamPreAndPostImages enabled (checked at start); "
                    + "false only for MongoDB < 6.0, where every vehicle update and delete then goes to every "
                    + "partition");
    public static final Setting<Long> OFFSET_FLUSH_MS = Setting.longValue("RTDW_CDC_OFFSET_FLUSH_MS", 1000, 1,
            "how often acknowledged source offsets are committed");
    public static final Setting<Long> HEARTBEAT_MS = Setting.longValue("RTDW_CDC_HEARTBEAT_MS", 10_000, 0,
            "Debezium heartbeat interval (keeps the slot advancing when the tables are idle)");
    public static final Setting<Integer> MAX_RETRIES = Setting.integer("RTDW_CDC_MAX_RETRIES", 5, 0, 1_000,
            "connection retries before the process exits non-zero");
    public static final Setting<Long> RETRY_BACKOFF_MS = Setting.longValue("RTDW_CDC_RETRY_BACKOFF_MS", 1000, 1,
            "first retry delay, doubling up to 30 s");
    public static final Setting<String> SNAPSHOT_MODE = Setting.string("RTDW_CDC_SNAPSHOT_MODE", "initial",
            "Debezium snapshot.mode");
    public static final Setting<Long> POLL_INTERVAL_MS = Setting.longValue("RTDW_CDC_POLL_INTERVAL_MS", 100, 1,
            "Debezium poll.interval.ms: the wait when the source is idle, a bound on capture latency");
    public static final Setting<String> EPOCH = Setting.string("RTDW_CDC_EPOCH", "",
            "label appended to the source epochs (pg:SYSTEM_ID:TIMELINE:LABEL, mongodb:REPLICA_SET_ID:LABEL); set a "
                    + "new value after restoring a database from a backup, so the pipeline applies the restored history "
                    + "instead of dropping it as older (cdc-sources/README, Source order)");
    public static final Setting<Integer> MAX_TX_CHANGES = Setting.integer("RTDW_CDC_MAX_TX_CHANGES", 20_000, 1,
            100_000_000, "changes of one PostgreSQL transaction held until its commit is seen (about 2.6 KB of heap "
                    + "each for rows of ~200 bytes); a larger transaction is produced in chunks with a warning and "
                    + "rtdw_cdc_tx_spills_total");

    /** Every variable the CDC process reads, its own and the shared parts', in {@code --help} order. */
    public static final List<Setting<?>> SETTINGS = Setting.concat(KafkaClients.SETTINGS, List.of(
            SOURCES, PG_HOST, PG_PORT, PG_DATABASE, PG_USER, PG_PASSWORD, PG_SLOT, PG_PUBLICATION, PG_INIT_SCHEMA,
            PG_HEARTBEAT_QUERY, MONGODB_URI, MONGO_PRE_IMAGES, OFFSET_FLUSH_MS, HEARTBEAT_MS, MAX_RETRIES,
            RETRY_BACKOFF_MS, SNAPSHOT_MODE, POLL_INTERVAL_MS, EPOCH, MAX_TX_CHANGES, OpsServer.HTTP_PORT),
            TopicCatalog.SETTINGS);

    public CdcConfig {
        sources = Set.copyOf(sources);
    }

    /** Reads {@link #SETTINGS}; problems are recorded in {@code env} ({@code null} returned then). */
    public static CdcConfig fromEnv(final Env env) {
        final KafkaClients kafka = KafkaClients.fromEnv(env);
        final Set<Source> sources = sources(env);
        final String mongoUri = env.get(MONGODB_URI);
        env.check(sources == null || !sources.contains(Source.MONGODB) || mongoUri == null || !mongoUri.isBlank(),
                "MONGODB_URI is not set but RTDW_CDC_SOURCES includes mongodb: set it to a replica-set URI "
                        + "(mongodb://host:27017/?replicaSet=rs0) or set RTDW_CDC_SOURCES=postgres");
        final String pgHost = env.get(PG_HOST);
        final Integer pgPort = env.get(PG_PORT);
        final String pgDatabase = env.get(PG_DATABASE);
        final String pgUser = env.get(PG_USER);
        final String pgPassword = env.get(PG_PASSWORD);
        final String slot = env.get(PG_SLOT);
        final String publication = env.get(PG_PUBLICATION);
        final Boolean initSchema = env.get(PG_INIT_SCHEMA);
        final Boolean preImages = env.get(MONGO_PRE_IMAGES);
        final Long offsetFlush = env.get(OFFSET_FLUSH_MS);
        final Long heartbeat = env.get(HEARTBEAT_MS);
        final Integer retries = env.get(MAX_RETRIES);
        final Long backoff = env.get(RETRY_BACKOFF_MS);
        final String snapshotMode = env.get(SNAPSHOT_MODE);
        final Long poll = env.get(POLL_INTERVAL_MS);
        final String heartbeatQuery = env.get(PG_HEARTBEAT_QUERY);
        final String epochLabel = env.get(EPOCH);
        env.check(epochLabel == null || epochLabel.matches("[A-Za-z0-9._-]*"), "RTDW_CDC_EPOCH may hold letters, "
                + "digits, '.', '_' and '-' only (it becomes part of the epoch 'pg:<system id>:<timeline>:<label>')");
        final Integer maxTxChanges = env.get(MAX_TX_CHANGES);
        final TopicCatalog catalog = TopicCatalog.fromEnv(env);
        if (!env.ok()) {
            return null;
        }
        return new CdcConfig(kafka, sources, pgHost, pgPort, pgDatabase, pgUser, pgPassword, slot, publication,
                initSchema, mongoUri, preImages, offsetFlush, heartbeat, retries, backoff, snapshotMode, poll,
                heartbeatQuery, epochLabel, maxTxChanges, catalog);
    }

    /** Reads and validates; throws a {@link io.rtdw.runtime.ConfigException} naming every problem. */
    public static CdcConfig fromEnv(final Map<String, String> environment) {
        return Env.read(environment, CdcConfig::fromEnv);
    }

    private static Set<Source> sources(final Env env) {
        final String text = env.get(SOURCES);
        final Set<Source> sources = EnumSet.noneOf(Source.class);
        for (final String s : text.split(",")) {
            if (s.isBlank()) {
                continue;
            }
            try {
                sources.add(Source.valueOf(s.trim().toUpperCase(Locale.ROOT)));
            } catch (final IllegalArgumentException e) {
                env.check(false, "RTDW_CDC_SOURCES: unknown source '" + s.trim() + "', use "
                        + Arrays.toString(Source.values()).toLowerCase(Locale.ROOT));
                return null;
            }
        }
        env.check(!sources.isEmpty(), "RTDW_CDC_SOURCES names no source: use postgres, mongodb or both");
        return sources;
    }

    /** Kafka bootstrap servers. */
    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** The producer's max.in.flight.requests.per.connection. */
    public int maxInFlight() {
        return kafka.maxInFlight();
    }

    /** JDBC URL of the source database. */
    public String pgJdbcUrl() {
        return "jdbc:postgresql://" + pgHost + ":" + pgPort + "/" + pgDatabase;
    }

    @Override
    public String toString() {
        return "CdcConfig{" + kafka + ", sources=" + sources + ", pg=" + pgUser + "@" + pgHost + ":" + pgPort + "/"
                + pgDatabase + ", slot=" + pgSlot + ", publication=" + pgPublication + ", mongoUri="
                + (mongoUri == null || mongoUri.isEmpty() ? "unset" : "***") + ", catalog=" + catalog + "}";
    }
}
