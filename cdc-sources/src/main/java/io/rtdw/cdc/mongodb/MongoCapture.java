package io.rtdw.cdc.mongodb;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import io.rtdw.cdc.CdcConfig;
import io.rtdw.cdc.engine.EngineProperties;
import io.rtdw.cdc.engine.MappedChange;
import io.rtdw.cdc.postgres.PostgresPreflight.MisconfigurationException;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.bson.Document;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Debezium MongoDB connector settings for the {@code vehicle} collection (change streams, full document on update,
 * pre-images), the bridge from its Connect records to {@link DebeziumMongoEventMapper}, a start-up
 * check of the server, and the source epoch ({@code mongodb:<replica set id>[:<label>]}, read once at start).
 */
public final class MongoCapture {

    /** Engine name: the key of this capture's offsets in the offsets topic. */
    public static final String ENGINE_NAME = "rtdw-cdc-mongodb";
    /** The captured collection. */
    static final String COLLECTION = "vehicle";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final DebeziumMongoEventMapper mapper;
    private final JsonConverter json = new JsonConverter();

    public MongoCapture(final DebeziumMongoEventMapper mapper) {
        this.mapper = mapper;
        json.configure(Map.of("schemas.enable", "false"), false);
    }

    /**
     * The capture of the configured replica set: reads its replica set id once (the epoch of every change).
     *
     * @param epochLabel the operator's epoch label (RTDW_CDC_EPOCH, set after restoring a backup); null for none
     * @throws MisconfigurationException when the replica set config cannot be read
     */
    public static MongoCapture open(final CdcConfig config, final String epochLabel) {
        return new MongoCapture(new DebeziumMongoEventMapper(config.catalog(),
                DebeziumMongoEventMapper.epoch(replicaSetId(config), epochLabel)));
    }

    /** The epoch this capture's changes carry. */
    public String epoch() {
        return mapper.epoch();
    }

    /**
     * The replica set's id ({@code replSetGetConfig}: {@code config.settings.replicaSetId}, an ObjectId chosen when
     * the set was initiated): it names this history of the data. A restore into a new set, or a migration, gets a
     * new id. Needs the {@code replSetGetConfig} privilege (role {@code clusterMonitor}).
     *
     * @throws MisconfigurationException when the command fails or the config has no id
     */
    public static String replicaSetId(final CdcConfig config) {
        try (MongoClient client = MongoClients.create(clientSettings(config))) {
            final Document reply = Reactive.first(client.getDatabase("admin")
                    .runCommand(new Document("replSetGetConfig", 1)), TIMEOUT);
            final Object id = replicaSetId(reply);
            if (id == null) {
                throw new MisconfigurationException("MongoDB at " + CdcConfigAccess.redacted(config)
                        + " answered replSetGetConfig without config.settings.replicaSetId: " + reply, null);
            }
            return id instanceof org.bson.types.ObjectId oid ? oid.toHexString() : id.toString();
        } catch (final IllegalStateException e) {
            throw unauthorized(e) ? new MisconfigurationException("MongoDB at " + CdcConfigAccess.redacted(config)
                    + " refused replSetGetConfig to the capture's user (" + e.getMessage() + "): " + REQUIRED_ROLES, e)
                    : new MisconfigurationException("cannot read the replica set config of MongoDB at "
                    + CdcConfigAccess.redacted(config) + " (the capture's user needs the clusterMonitor role): "
                    + e.getMessage(), e);
        }
    }

    /** {@code config.settings.replicaSetId} of a replSetGetConfig reply, or null. */
    static Object replicaSetId(final Document reply) {
        final Object config = reply == null ? null : reply.get("config");
        final Object settings = config instanceof Document c ? c.get("settings") : null;
        return settings instanceof Document s ? s.get("replicaSetId") : null;
    }

    /** Embedded-engine properties. */
    public static Properties properties(final CdcConfig config) {
        final Properties p = EngineProperties.common(config, ENGINE_NAME);
        final String db = config.catalog().mongoDb();
        p.setProperty("connector.class", "io.debezium.connector.mongodb.MongoDbConnector");
        p.setProperty("mongodb.connection.string", config.mongoUri());
        p.setProperty("database.include.list", db);
        p.setProperty("collection.include.list", db + ".vehicle");
        // Updates carry the whole current document (the topology needs customer_id on every change), and "before"
        // the pre-image (the old customer_id routes a moved or deleted vehicle to its old customer's partition);
        // Debezium asks for it "when available", so check() refuses a collection without pre-images.
        p.setProperty("capture.mode", config.mongoPreImages() ? "change_streams_update_full_with_pre_image"
                : "change_streams_update_full");
        p.setProperty("mongodb.connect.timeout.ms", "10000");
        p.setProperty("mongodb.server.selection.timeout.ms", "30000");
        p.setProperty("mongodb.socket.timeout.ms", "30000");
        return p;
    }

    /** Maps one connector record: Connect data to the connector's JSON shape, then to a VehicleChange. */
    public Optional<MappedChange<?, ?>> map(final SourceRecord record) {
        if (record.value() == null || !record.topic().endsWith(".vehicle")) {
            return Optional.empty(); // heartbeats and tombstones
        }
        final String key = record.key() == null ? null : new String(json.fromConnectData(record.topic(),
                record.keySchema(), record.key()), StandardCharsets.UTF_8);
        final String value = new String(json.fromConnectData(record.topic(), record.valueSchema(), record.value()),
                StandardCharsets.UTF_8);
        final Map<String, ?> offset = record.sourceOffset() == null ? Map.of() : record.sourceOffset();
        final Object token = offset.get("resume_token");
        return mapper.map(new DebeziumMongoEventMapper.Event(key, value, token == null ? null : token.toString(),
                offsetClusterTime(offset))).map(c -> c);
    }

    /**
     * The offset's cluster time ({@code sec}, {@code ord}) as a sequence; null when absent (Debezium writes -1 for
     * both while its position has only a token).
     */
    static Long offsetClusterTime(final Map<String, ?> offset) {
        if (offset.get("sec") instanceof Number sec && offset.get("ord") instanceof Number ord
                && sec.intValue() != -1) {
            return DebeziumMongoEventMapper.sequence(sec.longValue() & 0xFFFFFFFFL, ord.intValue());
        }
        return null;
    }

    /**
     * Checks that the URI reaches a replica set (change streams need one) and, with pre-images on (the default),
     * that the {@code vehicle} collection has {@code changeStreamPreAndPostImages} enabled (its options, read with
     * {@code listCollections}); timeouts on every call.
     *
     * @throws MisconfigurationException with what to fix
     */
    public static void check(final CdcConfig config) {
        try (MongoClient client = MongoClients.create(clientSettings(config))) {
            final Document hello = Reactive.first(client.getDatabase("admin").runCommand(new Document("hello", 1)),
                    TIMEOUT);
            if (hello == null || hello.get("setName") == null) {
                throw new MisconfigurationException("MongoDB at " + CdcConfigAccess.redacted(config)
                        + " is not a replica set member: change streams need a replica set (start mongod with "
                        + "--replSet rs0 and run rs.initiate()).", null);
            }
            if (config.mongoPreImages()) {
                final String db = config.catalog().mongoDb();
                checkPreImages(db, Reactive.first(client.getDatabase(db).listCollections()
                        .filter(new Document("name", COLLECTION)), TIMEOUT));
            }
        } catch (final IllegalStateException e) {
            if (unauthorized(e)) {
                throw new MisconfigurationException("MongoDB at " + CdcConfigAccess.redacted(config) + " refused a "
                        + "set-up check to the capture's user (" + e.getMessage() + "): " + REQUIRED_ROLES, e);
            }
            throw new MisconfigurationException("cannot reach MongoDB at " + CdcConfigAccess.redacted(config) + ": "
                    + e.getMessage() + ". Check MONGODB_URI (host, credentials, replicaSet).", e);
        }
    }

    /**
     * What the capture's MongoDB user needs, quoted when MongoDB refuses it something (cdc-sources README, "Least
     * privilege": MongoDB). Not verified against a server here: no MongoDB runs on this project's machines.
     */
    static final String REQUIRED_ROLES = "the capture's user needs, in database admin, the role readAnyDatabase (the "
            + "find and changeStream actions on every database: Debezium's capture.scope=deployment, this capture's "
            + "setting) and a role with the cluster action replSetGetConfig (a custom role, or clusterMonitor); "
            + "hello needs no role. Enabling pre-images (collMod on " + COLLECTION + ") is an administrator's step "
            + "(dbAdmin), not the capture's. See 'Least privilege' in the cdc-sources README.";

    /** Whether a failed call was MongoDB refusing the user (error 13 Unauthorized). */
    static boolean unauthorized(final Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof com.mongodb.MongoCommandException m && m.getErrorCode() == 13) {
                return true;
            }
        }
        return false;
    }

    /**
     * Refuses a {@code vehicle} collection without pre-images: {@code info} is its {@code listCollections} entry
     * ({@code {name, type, options: {changeStreamPreAndPostImages: {enabled: true}}, ...}}), null when the collection
     * does not exist.
     *
     * @throws MisconfigurationException naming the command that fixes it
     */
    static void checkPreImages(final String db, final Document info) {
        final String why = " Why: every change is written to its customer's Kafka partition, and a vehicle that moves "
                + "to another customer, or is deleted, must also be removed from its old customer's partition; only the "
                + "pre-image (Debezium's before, capture.mode=change_streams_update_full_with_pre_image) names that "
                + "customer. Without it every vehicle update and delete would go to every partition. (A MongoDB older "
                + "than 6.0 has no pre-images: there, set RTDW_MONGO_PRE_IMAGES=false and accept that cost.)";
        if (info == null) {
            throw new MisconfigurationException("MongoDB database " + db + " has no collection " + COLLECTION
                    + ": create it with pre-images: db.getSiblingDB(\"" + db + "\").createCollection(\"" + COLLECTION
                    + "\", {changeStreamPreAndPostImages: {enabled: true}})." + why, null);
        }
        if (!preImagesEnabled(info)) {
            throw new MisconfigurationException("MongoDB collection " + db + "." + COLLECTION + " does not have "
                    + "changeStreamPreAndPostImages enabled (its options: " + info.get("options") + "): run "
                    + "db.getSiblingDB(\"" + db + "\").runCommand({collMod: \"" + COLLECTION + "\", "
                    + "changeStreamPreAndPostImages: {enabled: true}})." + why, null);
        }
    }

    /**
     * Dev and test set-up (the local stack, {@code MongoDbCaptureIT}, the workload's {@code --init-schema}; the
     * MongoDB counterpart of {@code RTDW_PG_INIT_SCHEMA}; production uses k8s' replica-set init Job): creates the
     * {@code vehicle} collection with pre-images, or enables them on the existing one ({@code collMod}). Idempotent.
     * Not run on this project's machines (no MongoDB server).
     */
    public static void prepareCollection(final String uri, final String db) {
        final CdcConfig config = CdcConfig.fromEnv(Map.of(CdcConfig.MONGODB_URI.name(), uri,
                CdcConfig.SOURCES.name(), "mongodb"));
        final Document preImages = new Document("enabled", true);
        try (MongoClient client = MongoClients.create(clientSettings(config))) {
            final com.mongodb.reactivestreams.client.MongoDatabase database = client.getDatabase(db);
            if (Reactive.first(database.listCollections().filter(new Document("name", COLLECTION)), TIMEOUT) == null) {
                Reactive.first(database.createCollection(COLLECTION, new com.mongodb.client.model.CreateCollectionOptions()
                        .changeStreamPreAndPostImagesOptions(
                                new com.mongodb.client.model.ChangeStreamPreAndPostImagesOptions(true))), TIMEOUT);
            } else {
                Reactive.first(database.runCommand(new Document("collMod", COLLECTION)
                        .append("changeStreamPreAndPostImages", preImages)), TIMEOUT);
            }
        }
    }

    /** Whether a {@code listCollections} entry has {@code options.changeStreamPreAndPostImages.enabled: true}. */
    static boolean preImagesEnabled(final Document info) {
        final Object options = info.get("options");
        final Object images = options instanceof Document o ? o.get("changeStreamPreAndPostImages") : null;
        return images instanceof Document i && Boolean.TRUE.equals(i.get("enabled"));
    }

    private static MongoClientSettings clientSettings(final CdcConfig config) {
        try {
            return MongoClientSettings.builder().applyConnectionString(new ConnectionString(config.mongoUri()))
                    .applyToClusterSettings(b -> b.serverSelectionTimeout(10, TimeUnit.SECONDS))
                    .applyToSocketSettings(b -> b.connectTimeout(10, TimeUnit.SECONDS).readTimeout(10, TimeUnit.SECONDS))
                    .build();
        } catch (final IllegalArgumentException e) {
            throw new MisconfigurationException("MONGODB_URI is not a valid MongoDB connection string: "
                    + e.getMessage(), e);
        }
    }

    /** Keeps the redaction rule in one place. */
    private static final class CdcConfigAccess {
        static String redacted(final CdcConfig config) {
            return config.mongoUri().replaceAll("//[^@/]*@", "//***@");
        }
    }
}
