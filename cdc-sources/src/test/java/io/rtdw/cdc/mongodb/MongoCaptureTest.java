package io.rtdw.cdc.mongodb;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.CdcConfig;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.VehicleChange;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

    @Test
    void aConnectorRecordMapsThroughItsJsonShape() {
        final MongoCapture capture = new MongoCapture(new DebeziumMongoEventMapper(TopicCatalog.DEFAULT));
        final Struct source = new Struct(SOURCE).put("version", "3.4.1.Final").put("connector", "mongodb")
                .put("name", "rtdw").put("ts_ms", 1_732_190_400_000L).put("snapshot", "false").put("db", "rtdw")
                .put("collection", "vehicle").put("ord", 9).put("wallTime", 1_732_190_400_456L);
        final Struct value = new Struct(VALUE).put("after", "{\"_id\": 5,\"customer_id\": 9,\"modelo\": \"Kwid\"}")
                .put("updateDescription", new Struct(UPDATE_DESCRIPTION).put("updatedFields", "{\"customer_id\": 9}"))
                .put("source", source).put("op", "u").put("ts_ms", 1_732_190_400_500L);
        final SourceRecord record = new SourceRecord(Map.of("rs", "rs0"), Map.of("sec", 1_732_190_400, "ord", 9,
                "resume_token", "826740A1C0000000092B"), "rtdw.rtdw.vehicle", null, KEY,
                new Struct(KEY).put("id", "5"), VALUE, value);
        final VehicleChange change = (VehicleChange) capture.map(record).orElseThrow().value();
        assertEquals(Op.UPDATE, change.getOp());
        assertEquals(9, change.getAfter().getCustomerId());
        assertEquals("826740A1C0000000092B", change.getSource().getPosition());
        assertEquals((1_732_190_400L << 32) | 9, change.getSource().getSequence());
        assertEquals(1_732_190_400_456L, change.getSource().getCommitTsMs());
        assertEquals(Optional.empty(), capture.map(new SourceRecord(Map.of(), Map.of(), "__debezium-heartbeat.rtdw",
                null, null, null, null)));
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
}
