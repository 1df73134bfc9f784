package io.rtdw.lake;

import io.rtdw.catalog.TopicCatalog;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The lake sink's configuration, read once from the environment and validated at start.
 *
 * @param bootstrapServers  {@code KAFKA_BOOTSTRAP_SERVERS} (required)
 * @param kafkaOverrides    every other {@code KAFKA_*} variable as a client property ({@code KAFKA_SECURITY_PROTOCOL}
 *                          becomes {@code security.protocol}), applied last
 * @param s3Endpoint        {@code S3_ENDPOINT} (required), e.g. {@code http://minio:9000}
 * @param s3Region          {@code S3_REGION} (default {@code us-east-1})
 * @param bucket            {@code S3_BUCKET} (default {@code rtdw-lake})
 * @param accessKey         {@code S3_ACCESS_KEY} (required; from a Secret)
 * @param secretKey         {@code S3_SECRET_KEY} (required; from a Secret; never logged)
 * @param httpPort          {@code RTDW_HTTP_PORT} (default 8080): /health/live, /health/ready, /metrics
 * @param maxRecordsPerFile {@code RTDW_LAKE_MAX_RECORDS} (default 10000): a file is closed at this many rows
 * @param flushInterval     {@code RTDW_LAKE_FLUSH_INTERVAL_MS} (default 60000): a file is closed at the latest this
 *                          long after its first row arrived; the bound on lake latency
 * @param snapshotInterval  {@code RTDW_LAKE_SNAPSHOT_INTERVAL_MS} (default 900000): how often the latest-state
 *                          snapshot is rewritten (only when something changed)
 * @param compression       {@code RTDW_LAKE_COMPRESSION} (default SNAPPY; UNCOMPRESSED, SNAPPY or ZSTD)
 * @param groupId           {@code RTDW_LAKE_GROUP_ID} (default {@code rtdw-lake-sink}): offsets are committed under
 *                          it for lag monitoring only; the bucket decides where the sink resumes
 * @param catalog           topic names ({@code RTDW_TOPIC_PREFIX} ..., see {@link TopicCatalog#fromEnv})
 * @param instances         {@code RTDW_LAKE_INSTANCES} (default 1): how many sink instances share the partitions
 * @param instance          {@code RTDW_LAKE_INSTANCE} (default: the StatefulSet ordinal at the end of
 *                          {@code HOSTNAME}, or 0 with one instance): this one takes partitions p with
 *                          {@code p % instances == instance}
 */
public record LakeSinkConfig(String bootstrapServers, Map<String, String> kafkaOverrides, String s3Endpoint,
                             String s3Region, String bucket, String accessKey, String secretKey, int httpPort,
                             int maxRecordsPerFile, Duration flushInterval, Duration snapshotInterval,
                             CompressionCodecName compression, String groupId, TopicCatalog catalog,
                             int instances, int instance) {

    /** The text of {@code --help}. */
    public static final String HELP = """
            rtdw lake-sink: reads the unified customer topic (read_committed) and writes exactly-once Parquet files
            to an S3 bucket (MinIO), plus a latest-state snapshot.

            Environment:
              KAFKA_BOOTSTRAP_SERVERS         required, e.g. kafka:9092
              KAFKA_*                         any other Kafka client property (KAFKA_SECURITY_PROTOCOL=SSL ...)
              S3_ENDPOINT                     required, e.g. http://minio:9000
              S3_REGION                       default us-east-1
              S3_BUCKET                       default rtdw-lake (created when missing)
              S3_ACCESS_KEY, S3_SECRET_KEY    required (from a Kubernetes Secret)
              RTDW_REGISTRY_URL               Apicurio v3 API URL, or 'embedded' (default)
              RTDW_TOPIC_PREFIX ...           topic names, see TopicCatalog (default prefix rtdw)
              RTDW_HTTP_PORT                  default 8080: /health/live /health/ready /metrics
              RTDW_LAKE_MAX_RECORDS           default 10000 rows per file (buffered in memory per partition)
              RTDW_LAKE_FLUSH_INTERVAL_MS     default 60000: max time a row waits before its file is written
              RTDW_LAKE_SNAPSHOT_INTERVAL_MS  default 900000: how often snapshot/latest.parquet is rewritten
              RTDW_LAKE_COMPRESSION           default SNAPPY (UNCOMPRESSED, SNAPPY, ZSTD)
              RTDW_LAKE_GROUP_ID              default rtdw-lake-sink (offsets committed for lag monitoring only)
              RTDW_LAKE_INSTANCES             default 1: sink instances sharing the partitions (StatefulSet replicas)
              RTDW_LAKE_INSTANCE              default: ordinal at the end of HOSTNAME (lake-sink-2 -> 2); this
                                              instance writes partitions p with p % INSTANCES == INSTANCE

            Layout:
              s3://<bucket>/changelog/dt=<yyyy-mm-dd>/p=<partition>/<firstOffset>-<lastOffset>.parquet
              s3://<bucket>/snapshot/latest.parquet   (one row per live customer; with N instances
                                                      latest-<i>-of-<N>.parquet, read snapshot/latest*.parquet)

            Each partition must have exactly one writer: the bucket is the sink's checkpoint. Run one instance,
            or a StatefulSet with RTDW_LAKE_INSTANCES = replicas (never a Deployment with several replicas).
            """;

    public LakeSinkConfig {
        kafkaOverrides = Map.copyOf(kafkaOverrides);
        require(bootstrapServers, "KAFKA_BOOTSTRAP_SERVERS");
        require(s3Endpoint, "S3_ENDPOINT");
        require(accessKey, "S3_ACCESS_KEY");
        require(secretKey, "S3_SECRET_KEY");
        require(bucket, "S3_BUCKET");
        Objects.requireNonNull(catalog, "catalog");
        if (maxRecordsPerFile < 1) {
            throw new IllegalArgumentException("RTDW_LAKE_MAX_RECORDS must be >= 1, was " + maxRecordsPerFile);
        }
        if (flushInterval.isNegative() || flushInterval.isZero()) {
            throw new IllegalArgumentException("RTDW_LAKE_FLUSH_INTERVAL_MS must be > 0");
        }
        if (snapshotInterval.isNegative() || snapshotInterval.isZero()) {
            throw new IllegalArgumentException("RTDW_LAKE_SNAPSHOT_INTERVAL_MS must be > 0");
        }
        NoHadoopCodecs.requireSupported(compression);
        if (instances < 1 || instance < 0 || instance >= instances) {
            throw new IllegalArgumentException("RTDW_LAKE_INSTANCE must be in [0, RTDW_LAKE_INSTANCES), was "
                    + instance + " of " + instances);
        }
    }

    /** Reads and validates the configuration. */
    public static LakeSinkConfig fromEnv(final Map<String, String> env) {
        final Map<String, String> overrides = new TreeMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith("KAFKA_") && !name.equals("KAFKA_BOOTSTRAP_SERVERS")) {
                overrides.put(name.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        return new LakeSinkConfig(
                env.get("KAFKA_BOOTSTRAP_SERVERS"),
                overrides,
                env.get("S3_ENDPOINT"),
                env.getOrDefault("S3_REGION", "us-east-1"),
                env.getOrDefault("S3_BUCKET", "rtdw-lake"),
                env.get("S3_ACCESS_KEY"),
                env.get("S3_SECRET_KEY"),
                intEnv(env, "RTDW_HTTP_PORT", 8080),
                intEnv(env, "RTDW_LAKE_MAX_RECORDS", 10_000),
                Duration.ofMillis(intEnv(env, "RTDW_LAKE_FLUSH_INTERVAL_MS", 60_000)),
                Duration.ofMillis(intEnv(env, "RTDW_LAKE_SNAPSHOT_INTERVAL_MS", 900_000)),
                CompressionCodecName.valueOf(env.getOrDefault("RTDW_LAKE_COMPRESSION", "SNAPPY").toUpperCase(Locale.ROOT)),
                env.getOrDefault("RTDW_LAKE_GROUP_ID", "rtdw-lake-sink"),
                TopicCatalog.fromEnv(env),
                intEnv(env, "RTDW_LAKE_INSTANCES", 1),
                instance(env));
    }

    private static int instance(final Map<String, String> env) {
        if (env.containsKey("RTDW_LAKE_INSTANCE")) {
            return intEnv(env, "RTDW_LAKE_INSTANCE", 0);
        }
        if (intEnv(env, "RTDW_LAKE_INSTANCES", 1) == 1) {
            return 0;
        }
        // A StatefulSet pod is named <set>-<ordinal>: a stable identity, unlike a Deployment's random suffix.
        final String host = env.getOrDefault("HOSTNAME", "");
        final java.util.regex.Matcher m = java.util.regex.Pattern.compile("-(\\d+)$").matcher(host);
        if (!m.find()) {
            throw new IllegalArgumentException("RTDW_LAKE_INSTANCES > 1 needs RTDW_LAKE_INSTANCE or a StatefulSet "
                    + "HOSTNAME ending in -<ordinal>, was '" + host + "'");
        }
        return Integer.parseInt(m.group(1));
    }

    /** True when this instance writes {@code partition}. */
    public boolean owns(final int partition) {
        return partition % instances == instance;
    }

    /** Object name of this instance's snapshot. */
    public String snapshotObject() {
        return instances == 1 ? "snapshot/latest.parquet" : "snapshot/latest-" + instance + "-of-" + instances + ".parquet";
    }

    private static int intEnv(final Map<String, String> env, final String name, final int defaultValue) {
        final String raw = env.get(name);
        if (raw == null || raw.isBlank()) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(raw.trim());
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, was '" + raw + "'", e);
        }
    }

    private static void require(final String value, final String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is required (see --help)");
        }
    }

    /** For the start-up log line: the secret is redacted. */
    @Override
    public String toString() {
        return "LakeSinkConfig{bootstrapServers=" + bootstrapServers + ", kafkaOverrides=" + kafkaOverrides.keySet()
                + ", s3Endpoint=" + s3Endpoint + ", s3Region=" + s3Region + ", bucket=" + bucket
                + ", accessKey=" + accessKey + ", secretKey=<redacted>, httpPort=" + httpPort
                + ", maxRecordsPerFile=" + maxRecordsPerFile + ", flushInterval=" + flushInterval
                + ", snapshotInterval=" + snapshotInterval + ", compression=" + compression + ", groupId=" + groupId
                + ", topic=" + catalog.unifiedCustomers().name() + ", instance=" + instance + "/" + instances + '}';
    }
}
