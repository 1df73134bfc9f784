package io.rtdw.cdc;

import io.rtdw.catalog.TopicCatalog;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Configuration of the CDC process, read once from the environment and validated at start. {@link #toString()}
 * redacts secrets so the whole record can be logged.
 *
 * @param bootstrapServers   {@code KAFKA_BOOTSTRAP_SERVERS}
 * @param sources            {@code RTDW_CDC_SOURCES}: which captures run
 * @param pgHost             {@code PG_HOST}
 * @param pgPort             {@code PG_PORT}
 * @param pgDatabase         {@code PG_DATABASE}
 * @param pgUser             {@code PG_USER}
 * @param pgPassword         {@code PG_PASSWORD} (secret)
 * @param pgSlot             {@code RTDW_PG_SLOT}: logical replication slot
 * @param pgPublication      {@code RTDW_PG_PUBLICATION}: publication created by {@code sql/002_cdc.sql}
 * @param pgInitSchema       {@code RTDW_PG_INIT_SCHEMA}: apply the module's init SQL at start (local stack)
 * @param mongoUri           {@code MONGODB_URI} (secret: may hold credentials)
 * @param mongoPreImages     {@code RTDW_MONGO_PRE_IMAGES}: capture pre-images (collection must have them enabled)
 * @param httpPort           {@code RTDW_HTTP_PORT}: health and metrics
 * @param maxInFlight        {@code RTDW_MAX_IN_FLIGHT}: producer max.in.flight.requests.per.connection (1..5)
 * @param offsetFlushMs      {@code RTDW_CDC_OFFSET_FLUSH_MS}: how often acknowledged offsets are committed
 * @param heartbeatMs        {@code RTDW_CDC_HEARTBEAT_MS}: Debezium heartbeat interval
 * @param maxRetries         {@code RTDW_CDC_MAX_RETRIES}: connection retries before the process exits non-zero
 * @param retryBackoffMs     {@code RTDW_CDC_RETRY_BACKOFF_MS}: first retry delay (doubles up to 30 s)
 * @param snapshotMode       {@code RTDW_CDC_SNAPSHOT_MODE}: Debezium snapshot.mode
 * @param pollIntervalMs     {@code RTDW_CDC_POLL_INTERVAL_MS}: Debezium poll.interval.ms (idle wait; bounds latency)
 * @param pgHeartbeatQuery   {@code RTDW_PG_HEARTBEAT_ACTION_QUERY}: optional heartbeat.action.query (empty: none)
 * @param catalog            the topic catalog ({@code RTDW_TOPIC_PREFIX} ...)
 */
public record CdcConfig(String bootstrapServers, Set<Source> sources,
                        String pgHost, int pgPort, String pgDatabase, String pgUser, String pgPassword,
                        String pgSlot, String pgPublication, boolean pgInitSchema,
                        String mongoUri, boolean mongoPreImages,
                        int httpPort, int maxInFlight, long offsetFlushMs, long heartbeatMs,
                        int maxRetries, long retryBackoffMs, String snapshotMode, long pollIntervalMs,
                        String pgHeartbeatQuery, TopicCatalog catalog) {

    /** A database the process can capture. */
    public enum Source { POSTGRES, MONGODB }

    /** Every variable read, with its default (null: required when the source that needs it is enabled). */
    public static final Map<String, String> DEFAULTS = defaults();

    private static Map<String, String> defaults() {
        final Map<String, String> d = new LinkedHashMap<>();
        d.put("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
        d.put("RTDW_CDC_SOURCES", "postgres,mongodb");
        d.put("PG_HOST", "localhost");
        d.put("PG_PORT", "5432");
        d.put("PG_DATABASE", "postgres");
        d.put("PG_USER", "postgres");
        d.put("PG_PASSWORD", "");
        d.put("RTDW_PG_SLOT", "rtdw_cdc");
        d.put("RTDW_PG_PUBLICATION", "rtdw_publication");
        d.put("RTDW_PG_INIT_SCHEMA", "false");
        d.put("MONGODB_URI", null);
        d.put("RTDW_MONGO_PRE_IMAGES", "false");
        d.put("RTDW_HTTP_PORT", "8080");
        d.put("RTDW_MAX_IN_FLIGHT", "1");
        d.put("RTDW_CDC_OFFSET_FLUSH_MS", "1000");
        d.put("RTDW_CDC_HEARTBEAT_MS", "10000");
        d.put("RTDW_CDC_MAX_RETRIES", "5");
        d.put("RTDW_CDC_RETRY_BACKOFF_MS", "1000");
        d.put("RTDW_CDC_SNAPSHOT_MODE", "initial");
        d.put("RTDW_CDC_POLL_INTERVAL_MS", "100");
        d.put("RTDW_PG_HEARTBEAT_ACTION_QUERY", "");
        d.put("RTDW_REGISTRY_URL", "embedded");
        return d;
    }

    public CdcConfig {
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("RTDW_CDC_SOURCES names no source: use postgres, mongodb or both");
        }
        if (maxInFlight < 1 || maxInFlight > 5) {
            // Above 5 the idempotent producer can no longer guarantee order per partition.
            throw new IllegalArgumentException("RTDW_MAX_IN_FLIGHT must be 1..5 (idempotence keeps order only up to 5), was "
                    + maxInFlight);
        }
        if (sources.contains(Source.MONGODB) && (mongoUri == null || mongoUri.isBlank())) {
            throw new IllegalArgumentException("MONGODB_URI is not set but RTDW_CDC_SOURCES includes mongodb: set it to a "
                    + "replica-set URI (mongodb://host:27017/?replicaSet=rs0) or set RTDW_CDC_SOURCES=postgres");
        }
        if (maxRetries < 0) {
            throw new IllegalArgumentException("RTDW_CDC_MAX_RETRIES must be >= 0, was " + maxRetries);
        }
        sources = Set.copyOf(sources);
    }

    /** Reads and validates the configuration; throws {@link IllegalArgumentException} naming the variable to fix. */
    public static CdcConfig fromEnv(final Map<String, String> env) {
        final Set<Source> sources = EnumSet.noneOf(Source.class);
        for (final String s : get(env, "RTDW_CDC_SOURCES").split(",")) {
            if (s.isBlank()) {
                continue;
            }
            try {
                sources.add(Source.valueOf(s.trim().toUpperCase(Locale.ROOT)));
            } catch (final IllegalArgumentException e) {
                throw new IllegalArgumentException("RTDW_CDC_SOURCES: unknown source '" + s.trim() + "', use "
                        + Arrays.toString(Source.values()).toLowerCase(Locale.ROOT));
            }
        }
        return new CdcConfig(get(env, "KAFKA_BOOTSTRAP_SERVERS"), sources,
                get(env, "PG_HOST"), integer(env, "PG_PORT"), get(env, "PG_DATABASE"), get(env, "PG_USER"),
                get(env, "PG_PASSWORD"), get(env, "RTDW_PG_SLOT"), get(env, "RTDW_PG_PUBLICATION"),
                Boolean.parseBoolean(get(env, "RTDW_PG_INIT_SCHEMA")),
                env.get("MONGODB_URI"), Boolean.parseBoolean(get(env, "RTDW_MONGO_PRE_IMAGES")),
                integer(env, "RTDW_HTTP_PORT"), integer(env, "RTDW_MAX_IN_FLIGHT"),
                longValue(env, "RTDW_CDC_OFFSET_FLUSH_MS"), longValue(env, "RTDW_CDC_HEARTBEAT_MS"),
                integer(env, "RTDW_CDC_MAX_RETRIES"), longValue(env, "RTDW_CDC_RETRY_BACKOFF_MS"),
                get(env, "RTDW_CDC_SNAPSHOT_MODE"), longValue(env, "RTDW_CDC_POLL_INTERVAL_MS"),
                get(env, "RTDW_PG_HEARTBEAT_ACTION_QUERY"), TopicCatalog.fromEnv(env));
    }

    private static String get(final Map<String, String> env, final String name) {
        final String value = env.get(name);
        return value == null ? DEFAULTS.get(name) : value;
    }

    private static int integer(final Map<String, String> env, final String name) {
        try {
            return Integer.parseInt(get(env, name).trim());
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, was '" + get(env, name) + "'");
        }
    }

    private static long longValue(final Map<String, String> env, final String name) {
        try {
            return Long.parseLong(get(env, name).trim());
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, was '" + get(env, name) + "'");
        }
    }

    /** JDBC URL of the source database. */
    public String pgJdbcUrl() {
        return "jdbc:postgresql://" + pgHost + ":" + pgPort + "/" + pgDatabase;
    }

    @Override
    public String toString() {
        return "CdcConfig{bootstrapServers=" + bootstrapServers + ", sources=" + sources
                + ", pg=" + pgUser + "@" + pgHost + ":" + pgPort + "/" + pgDatabase + " (password "
                + (pgPassword.isEmpty() ? "empty" : "***") + "), slot=" + pgSlot + ", publication=" + pgPublication
                + ", pgInitSchema=" + pgInitSchema + ", mongoUri=" + redactUri(mongoUri) + ", mongoPreImages="
                + mongoPreImages + ", httpPort=" + httpPort + ", maxInFlight=" + maxInFlight + ", offsetFlushMs="
                + offsetFlushMs + ", heartbeatMs=" + heartbeatMs + ", maxRetries=" + maxRetries + ", retryBackoffMs="
                + retryBackoffMs + ", snapshotMode=" + snapshotMode + ", pollIntervalMs=" + pollIntervalMs
                + ", pgHeartbeatQuery=" + (pgHeartbeatQuery.isEmpty() ? "none" : pgHeartbeatQuery) + ", catalog="
                + catalog + "}";
    }

    /** A MongoDB URI with its user info replaced by {@code ***}. */
    static String redactUri(final String uri) {
        if (uri == null) {
            return "unset";
        }
        return uri.replaceAll("//[^@/]*@", "//***@");
    }
}
