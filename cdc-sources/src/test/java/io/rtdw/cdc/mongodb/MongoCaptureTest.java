package io.rtdw.cdc.mongodb;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.CdcConfig;
import io.rtdw.cdc.postgres.PostgresPreflight.MisconfigurationException;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.VehicleChange;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.bson.Document;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The bridge from the connector's Connect records (schemas as Debezium 3.4 builds them for MongoDB: documents as
 * optional strings, key {@code id} as string) to the JSON mapper, and the connector settings.
 */
class MongoCaptureTest {

    private static final Schema KEY = SchemaBuilder.struct().name("rtdw.rtdw.vehicle.Key")
            .field("id", Schema.STRING_SCHEMA).build();
    private static final Schema UPDATE_DESCRIPTION = SchemaBuilder.struct().optional()
            .name("io.debezium.connector.mongodb.changestream.updatedescription")
            .field("removedFields", SchemaBuilder.array(Schema.STRING_SCHEMA).optional().build())
            .field("updatedFields", Schema.OPTIONAL_STRING_SCHEMA)
            .field("truncatedArrays", SchemaBuilder.array(Schema.STRING_SCHEMA).optional().build()).build();
    private static final Schema SOURCE = SchemaBuilder.struct().name("io.debezium.connector.mongo.Source")
            .field("version", Schema.STRING_SCHEMA).field("connector", Schema.STRING_SCHEMA)
            .field("name", Schema.STRING_SCHEMA).field("ts_ms", Schema.INT64_SCHEMA)
            .field("snapshot", SchemaBuilder.string().optional().defaultValue("false").build())
            .field("db", Schema.STRING_SCHEMA).field("sequence", Schema.OPTIONAL_STRING_SCHEMA)
            .field("ts_us", Schema.OPTIONAL_INT64_SCHEMA).field("ts_ns", Schema.OPTIONAL_INT64_SCHEMA)
            .field("collection", Schema.STRING_SCHEMA).field("ord", Schema.INT32_SCHEMA)
            .field("lsid", Schema.OPTIONAL_STRING_SCHEMA).field("txnNumber", Schema.OPTIONAL_INT64_SCHEMA)
            .field("wallTime", Schema.OPTIONAL_INT64_SCHEMA).build();
    private static final Schema VALUE = SchemaBuilder.struct().name("rtdw.rtdw.vehicle.Envelope")
            .field("before", SchemaBuilder.string().optional().name("io.debezium.data.Json").build())
            .field("after", SchemaBuilder.string().optional().name("io.debezium.data.Json").build())
            .field("updateDescription", UPDATE_DESCRIPTION).field("source", SOURCE)
            .field("op", Schema.OPTIONAL_STRING_SCHEMA).field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA).build();

    private static Struct source(final long tsMs, final String snapshot, final int ord, final Long wallTime) {
        return new Struct(SOURCE).put("version", "3.4.1.Final").put("connector", "mongodb")
                .put("name", "rtdw").put("ts_ms", tsMs).put("snapshot", snapshot).put("db", "rtdw")
                .put("collection", "vehicle").put("ord", ord).put("wallTime", wallTime);
    }

    @Test
    void aConnectorRecordMapsThroughItsJsonShape() {
        final MongoCapture capture = new MongoCapture(new DebeziumMongoEventMapper(TopicCatalog.DEFAULT,
                "mongodb:6768a1b2c3d4e5f601234567"));
        final long clusterTime = DebeziumMongoEventMapper.sequence(1_732_190_400L, 9);
        final String data = RecordedMongoEvents.tokenData(clusterTime, 0, "update", 5);
        final Struct value = new Struct(VALUE).put("after", "{\"_id\": 5,\"customer_id\": 9,\"modelo\": \"Kwid\"}")
                .put("updateDescription", new Struct(UPDATE_DESCRIPTION).put("updatedFields", "{\"customer_id\": 9}"))
                .put("source", source(1_732_190_400_456L, "false", 9, 1_732_190_400_456L)).put("op", "u")
                .put("ts_ms", 1_732_190_400_500L);
        // Debezium 3.4 offset: sec/ord of the cluster time, the token as base64 BSON.
        final SourceRecord record = new SourceRecord(Map.of("server_id", "rtdw"), Map.of("sec", 1_732_190_400, "ord", 9,
                "resume_token", RecordedMongoEvents.offsetToken(data)), "rtdw.rtdw.vehicle", null, KEY,
                new Struct(KEY).put("id", "5"), VALUE, value);
        final VehicleChange change = (VehicleChange) capture.map(record).orElseThrow().value();
        assertEquals(Op.UPDATE, change.getOp());
        assertEquals(9, change.getAfter().getCustomerId());
        assertEquals(data, change.getSource().getPosition());
        assertEquals(clusterTime, change.getSource().getSequence());
        assertEquals(clusterTime, change.getSource().getCommitSequence());
        assertEquals(data, change.getSource().getChangeOrder());
        assertEquals("mongodb:6768a1b2c3d4e5f601234567", change.getSource().getEpoch());
        assertEquals(1_732_190_400_456L, change.getSource().getCommitTsMs());
        assertEquals(Optional.empty(), capture.map(new SourceRecord(Map.of(), Map.of(), "__debezium-heartbeat.rtdw",
                null, null, null, null)));
    }

    @Test
    void aSnapshotRecordWithoutTokenSitsAtTheOffsetsClusterTime() {
        // Debezium initialises the snapshot's offset from hello's operationTime when the cursor gave no token.
        final MongoCapture capture = new MongoCapture(new DebeziumMongoEventMapper(TopicCatalog.DEFAULT));
        final Struct value = new Struct(VALUE).put("after", "{\"_id\": 6,\"customer_id\": 0}")
                .put("source", source(1_732_190_000_000L, "true", 4, null)).put("op", "r").put("ts_ms", 1L);
        final SourceRecord record = new SourceRecord(Map.of("server_id", "rtdw"), Map.of("sec", 1_732_190_000,
                "ord", 4, "initsync", true), "rtdw.rtdw.vehicle", null, KEY, new Struct(KEY).put("id", "6"), VALUE,
                value);
        final VehicleChange change = (VehicleChange) capture.map(record).orElseThrow().value();
        assertEquals(DebeziumMongoEventMapper.sequence(1_732_190_000L, 4), change.getSource().getCommitSequence());
        assertEquals("", change.getSource().getChangeOrder());
        assertEquals(0, change.getAfter().getCustomerId(), "0 is a customer id");
        assertNull(MongoCapture.offsetClusterTime(Map.of("sec", -1, "ord", -1, "resume_token", "x")));
    }

    @Test
    void theEpochIsTheReplicaSetIdPlusTheOperatorsLabel() {
        final Document reply = Document.parse("{\"config\": {\"_id\": \"rs0\", \"settings\": "
                + "{\"replicaSetId\": {\"$oid\": \"6768a1b2c3d4e5f601234567\"}}}, \"ok\": 1}");
        final Object id = MongoCapture.replicaSetId(reply);
        assertEquals("6768a1b2c3d4e5f601234567", ((org.bson.types.ObjectId) id).toHexString());
        assertNull(MongoCapture.replicaSetId(Document.parse("{\"ok\": 1}")));
        assertEquals("mongodb:6768a1b2c3d4e5f601234567", DebeziumMongoEventMapper.epoch("6768a1b2c3d4e5f601234567", null));
        assertEquals("mongodb:6768a1b2c3d4e5f601234567:restore-2026-03",
                DebeziumMongoEventMapper.epoch("6768a1b2c3d4e5f601234567", " restore-2026-03 "));
        assertEquals("mongodb:abc", DebeziumMongoEventMapper.epoch("abc", " "));
    }

    @Test
    void preImagesAreTheDefaultAndACollectionWithoutThemIsRefusedWithTheCommand() {
        final CdcConfig config = CdcConfig.fromEnv(Map.of("MONGODB_URI", "mongodb://m:27017/?replicaSet=rs0"));
        assertTrue(config.mongoPreImages());
        assertEquals("change_streams_update_full_with_pre_image", MongoCapture.properties(config).getProperty("capture.mode"));

        // listCollections entries as MongoDB 6+ returns them
        final Document enabled = Document.parse("{\"name\": \"vehicle\", \"type\": \"collection\", \"options\": "
                + "{\"changeStreamPreAndPostImages\": {\"enabled\": true}}, \"info\": {\"readOnly\": false}}");
        final Document disabled = Document.parse("{\"name\": \"vehicle\", \"type\": \"collection\", \"options\": "
                + "{\"changeStreamPreAndPostImages\": {\"enabled\": false}}}");
        final Document plain = Document.parse("{\"name\": \"vehicle\", \"type\": \"collection\", \"options\": {}}");
        assertTrue(MongoCapture.preImagesEnabled(enabled));
        assertFalse(MongoCapture.preImagesEnabled(disabled));
        assertFalse(MongoCapture.preImagesEnabled(plain));
        assertFalse(MongoCapture.preImagesEnabled(new Document("name", "vehicle")));
        MongoCapture.checkPreImages("rtdw", enabled);
        for (final Document info : new Document[] {disabled, plain}) {
            final MisconfigurationException e = assertThrows(MisconfigurationException.class,
                    () -> MongoCapture.checkPreImages("rtdw", info));
            assertTrue(e.getMessage().contains("rtdw.vehicle does not have changeStreamPreAndPostImages enabled")
                    && e.getMessage().contains("runCommand({collMod: \"vehicle\", changeStreamPreAndPostImages: "
                    + "{enabled: true}})") && e.getMessage().contains("old customer's partition"), e.getMessage());
        }
        final MisconfigurationException missing = assertThrows(MisconfigurationException.class,
                () -> MongoCapture.checkPreImages("rtdw", null));
        assertTrue(missing.getMessage().contains("createCollection(\"vehicle\", {changeStreamPreAndPostImages: "
                + "{enabled: true}})"), missing.getMessage());

        final CdcConfig off = CdcConfig.fromEnv(Map.of("MONGODB_URI", "mongodb://m:27017/?replicaSet=rs0",
                "RTDW_MONGO_PRE_IMAGES", "false"));
        assertEquals("change_streams_update_full", MongoCapture.properties(off).getProperty("capture.mode"));
    }

    @Test
    void connectorSettingsCaptureFullDocumentsOfTheVehicleCollection() {
        final CdcConfig config = CdcConfig.fromEnv(Map.of("MONGODB_URI", "mongodb://m:27017/?replicaSet=rs0",
                "RTDW_MONGO_PRE_IMAGES", "true"));
        final Properties p = MongoCapture.properties(config);
        assertEquals("rtdw.vehicle", p.getProperty("collection.include.list"));
        assertEquals("change_streams_update_full_with_pre_image", p.getProperty("capture.mode"));
        assertEquals("rtdw.cdc.offsets", p.getProperty("offset.storage.topic"));
        assertEquals("3", p.getProperty("offset.storage.replication.factor"));
        assertEquals("false", p.getProperty("tombstones.on.delete"));
    }

    /** A refused command (error 13) is reported with the roles the capture needs; another failure is not. */
    @Test
    void anAuthorizationErrorNamesTheRolesTheCaptureNeeds() {
        final com.mongodb.MongoCommandException refused = new com.mongodb.MongoCommandException(
                org.bson.BsonDocument.parse("{ok: 0, code: 13, codeName: 'Unauthorized', errmsg: 'not authorized on "
                        + "rtdw to execute command { listCollections: 1 }'}"), new com.mongodb.ServerAddress());
        assertTrue(MongoCapture.unauthorized(new IllegalStateException("MongoDB call failed", refused)));
        final com.mongodb.MongoCommandException other = new com.mongodb.MongoCommandException(
                org.bson.BsonDocument.parse("{ok: 0, code: 26, codeName: 'NamespaceNotFound', errmsg: 'ns'}"),
                new com.mongodb.ServerAddress());
        assertFalse(MongoCapture.unauthorized(new IllegalStateException("MongoDB call failed", other)));
        assertFalse(MongoCapture.unauthorized(new IllegalStateException("MongoDB did not answer within 10 ms")));
        for (final String needed : java.util.List.of("readAnyDatabase", "changeStream", "find", "replSetGetConfig",
                "collMod", "capture.scope=deployment")) {
            assertTrue(MongoCapture.REQUIRED_ROLES.contains(needed), needed);
        }
    }
}
