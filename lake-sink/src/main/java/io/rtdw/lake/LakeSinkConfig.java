package io.rtdw.lake;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.mask.FieldMasks;
import io.rtdw.mask.MaskSettings;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

import io.rtdw.runtime.Env;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.runtime.OpsServer;
import io.rtdw.runtime.Setting;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The lake sink's configuration, read once from the environment ({@link #SETTINGS}) and validated at start.
 *
 * @param kafka             Kafka clients ({@code KAFKA_BOOTSTRAP_SERVERS}, {@code KAFKA_*} pass-through)
 * @param s3Endpoint        {@link #S3_ENDPOINT}
 * @param s3Region          {@link #S3_REGION}
 * @param bucket            {@link #S3_BUCKET}
 * @param accessKey         {@link #S3_ACCESS_KEY}
 * @param secretKey         {@link #S3_SECRET_KEY} (never logged)
 * @param maxRecordsPerFile {@link #MAX_RECORDS}
 * @param flushInterval     {@link #FLUSH_INTERVAL_MS}: the bound on lake latency
 * @param snapshotInterval  {@link #SNAPSHOT_INTERVAL_MS}
 * @param compression       {@link #COMPRESSION}
 * @param groupId           {@link #GROUP_ID}: offsets are committed under it for lag monitoring only; the bucket
 *                          decides where the sink resumes
 * @param catalog           topic names ({@code RTDW_TOPIC_PREFIX} ...)
 * @param instances         {@link #INSTANCES}
 * @param instance          {@link #INSTANCE}: this one takes partitions p with {@code p % instances == instance}
 * @param masks             {@link MaskSettings}: personal fields masked in the Parquet rows (changelog and snapshot)
 */
public record LakeSinkConfig(KafkaClients kafka, String s3Endpoint, String s3Region, String bucket,
                             String accessKey, String secretKey, int maxRecordsPerFile,
                             Duration flushInterval, Duration snapshotInterval, CompressionCodecName compression,
                             String groupId, TopicCatalog catalog, int instances, int instance,
                             FieldMasks masks) {

    public static final Setting<String> S3_ENDPOINT = Setting.string("S3_ENDPOINT", null,
            "S3 (MinIO) endpoint, e.g. http://minio:9000").required();
    public static final Setting<String> S3_REGION = Setting.string("S3_REGION", "us-east-1", "S3 region");
    public static final Setting<String> S3_BUCKET = Setting.string("S3_BUCKET", "rtdw-lake",
            "bucket of the lake (created when missing)");
    public static final Setting<String> S3_ACCESS_KEY = Setting.string("S3_ACCESS_KEY", null,
            "S3 access key of the sink (from a Kubernetes Secret)").required();
    public static final Setting<String> S3_SECRET_KEY = Setting.string("S3_SECRET_KEY", null,
            "S3 secret key of the sink (from a Kubernetes Secret)").required().secret();
    public static final Setting<Integer> MAX_RECORDS = Setting.integer("RTDW_LAKE_MAX_RECORDS", 10_000, 1,
            10_000_000, "rows per Parquet file (buffered in memory per partition)");
    public static final Setting<Long> FLUSH_INTERVAL_MS = Setting.longValue("RTDW_LAKE_FLUSH_INTERVAL_MS", 60_000, 1,
            "max time a row waits before its file is written");
    public static final Setting<Long> SNAPSHOT_INTERVAL_MS = Setting.longValue("RTDW_LAKE_SNAPSHOT_INTERVAL_MS",
            900_000, 1, "how often snapshot/latest.parquet is rewritten (only when something changed)");
    public static final Setting<String> COMPRESSION = Setting.oneOf("RTDW_LAKE_COMPRESSION", "SNAPPY",
            List.of("UNCOMPRESSED", "SNAPPY", "ZSTD"), "Parquet compression");
    public static final Setting<String> GROUP_ID = Setting.string("RTDW_LAKE_GROUP_ID", "rtdw-lake-sink",
            "consumer group; offsets are committed for lag monitoring only");
    public static final Setting<Integer> INSTANCES = Setting.integer("RTDW_LAKE_INSTANCES", 1, 1, 1_000,
            "sink instances sharing the partitions (StatefulSet replicas)");
    public static final Setting<Integer> INSTANCE = Setting.integer("RTDW_LAKE_INSTANCE", -1, -1, 999,
            "this instance's number; -1 takes the ordinal at the end of HOSTNAME (lake-sink-2 -> 2); it writes "
                    + "partitions p with p % RTDW_LAKE_INSTANCES == RTDW_LAKE_INSTANCE");
    public static final Setting<String> HOSTNAME = Setting.string("HOSTNAME", "",
            "set by Kubernetes: the pod name, whose ordinal numbers a StatefulSet's instances");

    /** Every variable the lake sink reads, its own and the shared parts' (the registry's are added by the service). */
    public static final List<Setting<?>> SETTINGS = Setting.concat(KafkaClients.SETTINGS, List.of(
            S3_ENDPOINT, S3_REGION, S3_BUCKET, S3_ACCESS_KEY, S3_SECRET_KEY, OpsServer.HTTP_PORT, MAX_RECORDS,
            FLUSH_INTERVAL_MS, SNAPSHOT_INTERVAL_MS, COMPRESSION, GROUP_ID, INSTANCES, INSTANCE, HOSTNAME),
            TopicCatalog.SETTINGS, MaskSettings.SETTINGS);

    public LakeSinkConfig {
        NoHadoopCodecs.requireSupported(compression);
    }

    /** Reads {@link #SETTINGS}; problems are recorded in {@code env} ({@code null} returned then). */
    public static LakeSinkConfig fromEnv(final Env env) {
        final KafkaClients kafka = KafkaClients.fromEnv(env);
        final String endpoint = env.get(S3_ENDPOINT);
        final String region = env.get(S3_REGION);
        final String bucket = env.get(S3_BUCKET);
        final String accessKey = env.get(S3_ACCESS_KEY);
        final String secretKey = env.get(S3_SECRET_KEY);
        final Integer maxRecords = env.get(MAX_RECORDS);
        final Long flush = env.get(FLUSH_INTERVAL_MS);
        final Long snapshot = env.get(SNAPSHOT_INTERVAL_MS);
        final String compression = env.get(COMPRESSION);
        final String groupId = env.get(GROUP_ID);
        final TopicCatalog catalog = TopicCatalog.fromEnv(env);
        final Integer instances = env.get(INSTANCES);
        final Integer instance = instance(env, instances);
        final FieldMasks masks = MaskSettings.fromEnv(env);
        env.check(bucket == null || !bucket.isBlank(), "S3_BUCKET must not be empty");
        if (!env.ok()) {
            return null;
        }
        return new LakeSinkConfig(kafka, endpoint, region, bucket, accessKey, secretKey, maxRecords,
                Duration.ofMillis(flush), Duration.ofMillis(snapshot), CompressionCodecName.valueOf(compression),
                groupId, catalog, instances, instance, masks);
    }

    /** Reads and validates; throws a {@link io.rtdw.runtime.ConfigException} naming every problem. */
    public static LakeSinkConfig fromEnv(final Map<String, String> environment) {
        return Env.read(environment, LakeSinkConfig::fromEnv);
    }

    private static Integer instance(final Env env, final Integer instances) {
        final Integer given = env.get(INSTANCE);
        final String host = env.get(HOSTNAME);
        if (given == null || instances == null) {
            return null;
        }
        final int instance;
        if (given >= 0) {
            instance = given;
        } else if (instances == 1) {
            instance = 0;
        } else {
            // A StatefulSet pod is named <set>-<ordinal>: a stable identity, unlike a Deployment's random suffix.
            final Matcher m = Pattern.compile("-(\\d+)$").matcher(host);
            if (!m.find()) {
                env.check(false, "RTDW_LAKE_INSTANCES > 1 needs RTDW_LAKE_INSTANCE or a StatefulSet HOSTNAME ending "
                        + "in -<ordinal>, was '" + host + "'");
                return null;
            }
            instance = Integer.parseInt(m.group(1));
        }
        env.check(instance < instances, "RTDW_LAKE_INSTANCE must be in [0, RTDW_LAKE_INSTANCES), was " + instance
                + " of " + instances);
        return instance;
    }

    /** True when this instance writes {@code partition}. */
    public boolean owns(final int partition) {
        return partition % instances == instance;
    }

    /** Object name of this instance's snapshot. */
    public String snapshotObject() {
        return instances == 1 ? "snapshot/latest.parquet" : "snapshot/latest-" + instance + "-of-" + instances + ".parquet";
    }

    /** For the start-up log line: the secret is redacted. */
    @Override
    public String toString() {
        return "LakeSinkConfig{" + kafka + ", s3Endpoint=" + s3Endpoint + ", s3Region=" + s3Region + ", bucket=" + bucket
                + ", accessKey=" + accessKey + ", secretKey=<redacted>"
                + ", maxRecordsPerFile=" + maxRecordsPerFile + ", flushInterval=" + flushInterval
                + ", snapshotInterval=" + snapshotInterval + ", compression=" + compression + ", groupId=" + groupId
                + ", topic=" + catalog.unifiedCustomers().name() + ", instance=" + instance + "/" + instances
                + ", masks=" + masks + '}';
    }
}
