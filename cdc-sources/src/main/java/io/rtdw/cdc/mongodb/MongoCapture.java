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
 * optional pre-images), the bridge from its Connect records to {@link DebeziumMongoEventMapper}, and a start-up
 * check of the server.
 */
public final class MongoCapture {

    /** Engine name: the key of this capture's offsets in the offsets topic. */
    public static final String ENGINE_NAME = "rtdw-cdc-mongodb";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final DebeziumMongoEventMapper mapper;
    private final JsonConverter json = new JsonConverter();

    public MongoCapture(final DebeziumMongoEventMapper mapper) {
        this.mapper = mapper;
        json.configure(Map.of("schemas.enable", "false"), false);
    }

    /** Embedded-engine properties. */
    public static Properties properties(final CdcConfig config) {
        final Properties p = EngineProperties.common(config, ENGINE_NAME);
        final String db = config.catalog().mongoDb();
        p.setProperty("connector.class", "io.debezium.connector.mongodb.MongoDbConnector");
        p.setProperty("mongodb.connection.string", config.mongoUri());
        p.setProperty("database.include.list", db);
        p.setProperty("collection.include.list", db + ".vehicle");
        // Updates carry the whole current document (the topology needs customer_id on every change); with
        // pre-images enabled on the collection, "before" is filled too.
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
        final Object token = record.sourceOffset() == null ? null : record.sourceOffset().get("resume_token");
        return mapper.map(new DebeziumMongoEventMapper.Event(key, value, token == null ? null : token.toString()))
                .map(c -> c);
    }

    /**
     * Checks that the URI reaches a replica set (change streams need one), with timeouts on every call.
     *
     * @throws MisconfigurationException with what to fix
     */
    public static void check(final CdcConfig config) {
        final MongoClientSettings settings;
        try {
            settings = MongoClientSettings.builder().applyConnectionString(new ConnectionString(config.mongoUri()))
                    .applyToClusterSettings(b -> b.serverSelectionTimeout(10, TimeUnit.SECONDS))
                    .applyToSocketSettings(b -> b.connectTimeout(10, TimeUnit.SECONDS).readTimeout(10, TimeUnit.SECONDS))
                    .build();
        } catch (final IllegalArgumentException e) {
            throw new MisconfigurationException("MONGODB_URI is not a valid MongoDB connection string: "
                    + e.getMessage(), e);
        }
        try (MongoClient client = MongoClients.create(settings)) {
            final Document hello = Reactive.first(client.getDatabase("admin").runCommand(new Document("hello", 1)),
                    TIMEOUT);
            if (hello == null || hello.get("setName") == null) {
                throw new MisconfigurationException("MongoDB at " + CdcConfigAccess.redacted(config)
                        + " is not a replica set member: change streams need a replica set (start mongod with "
                        + "--replSet rs0 and run rs.initiate()).", null);
            }
        } catch (final IllegalStateException e) {
            throw new MisconfigurationException("cannot reach MongoDB at " + CdcConfigAccess.redacted(config) + ": "
                    + e.getMessage() + ". Check MONGODB_URI (host, credentials, replicaSet).", e);
        }
    }

    /** Keeps the redaction rule in one place. */
    private static final class CdcConfigAccess {
        static String redacted(final CdcConfig config) {
            return config.mongoUri().replaceAll("//[^@/]*@", "//***@");
        }
    }
}
