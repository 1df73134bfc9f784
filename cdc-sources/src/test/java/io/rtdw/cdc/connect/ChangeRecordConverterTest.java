package io.rtdw.cdc.connect;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;
import io.rtdw.serde.RegistrySerdes;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** On Kafka Connect, the SMT and the converter write the same records as the embedded capture. */
class ChangeRecordConverterTest {

    private static final TopicCatalog CATALOG = TopicCatalog.DEFAULT;
    private static final RegistrySerdes SERDES = RegistrySerdes.embedded();

    private static ChangeRecordConverter converter(final boolean isKey) {
        final ChangeRecordConverter c = new ChangeRecordConverter(SERDES);
        c.configure(Map.of("rtdw.topic.prefix", "rtdw"), isKey);
        return c;
    }

    /** What a Connect worker does with a source record: transform, headers through the header converter, convert. */
    private static byte[][] write(final SourceRecord debezium) {
        final SourceRecord r = new CommitTimestamp().apply(debezium);
        final RecordHeaders headers = new RecordHeaders();
        try (SimpleHeaderConverter headerConverter = new SimpleHeaderConverter()) {
            headerConverter.configure(Map.of());
            r.headers().forEach(h -> headers.add(h.key(), headerConverter.fromConnectHeader(r.topic(), h.key(),
                    h.schema(), h.value())));
        } catch (final java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return new byte[][] {
            converter(true).fromConnectData(r.topic(), headers, r.keySchema(), r.key()),
            converter(false).fromConnectData(r.topic(), headers, r.valueSchema(), r.value())};
    }

    @Test
    void aPostgresCustomerInsertBecomesACustomerChangeAtItsCommitTime() {
        final Schema key = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).build();
        final Schema row = io.rtdw.cdc.postgres.PostgresChangeMapperTest.CUSTOMER;
        final Schema source = SchemaBuilder.struct().field("ts_ms", Schema.INT64_SCHEMA)
                .field("snapshot", Schema.OPTIONAL_STRING_SCHEMA).field("db", Schema.STRING_SCHEMA)
                .field("schema", Schema.STRING_SCHEMA).field("table", Schema.STRING_SCHEMA)
                .field("txId", Schema.OPTIONAL_INT64_SCHEMA).field("lsn", Schema.OPTIONAL_INT64_SCHEMA).build();
        final Schema envelope = SchemaBuilder.struct().field("before", row).field("after", row).field("source", source)
                .field("op", Schema.STRING_SCHEMA).build();
        final Struct value = new Struct(envelope).put("after", new Struct(row).put("id", 4).put("nome", "Ana"))
                .put("source", new Struct(source).put("ts_ms", 1_700_000_000_123L).put("snapshot", "false")
                        .put("db", "shop").put("schema", "public").put("table", "customers").put("txId", 9L)
                        .put("lsn", 4096L)).put("op", "c");
        final SourceRecord record = new SourceRecord(Map.of(), Map.of("lsn", 4096L), CATALOG.customers().name(), null,
                key, new Struct(key).put("id", 4), envelope, value);
        assertEquals(1_700_000_000_123L, new CommitTimestamp().apply(record).timestamp());
        final byte[][] bytes = write(record);
        assertEquals(4, RegistrySerdes.keySerde(CATALOG.customers()).deserializer()
                .deserialize(CATALOG.customers().name(), bytes[0]).getId());
        final CustomerChange change = SERDES.valueSerde(CATALOG.customers()).deserializer()
                .deserialize(CATALOG.customers().name(), bytes[1]);
        assertEquals(Op.CREATE, change.getOp());
        assertEquals("Ana", change.getAfter().getNome());
        assertEquals("0/1000", change.getSource().getPosition());
        assertEquals(CustomerKey.class, RegistrySerdes.keySerde(CATALOG.customers()).deserializer()
                .deserialize("t", bytes[0]).getClass());
    }

    @Test
    void aMongoDeleteWithoutPreImageKeepsItsIdAndResumeToken() {
        final Schema key = SchemaBuilder.struct().field("id", Schema.STRING_SCHEMA).build();
        final Schema source = SchemaBuilder.struct().field("ts_ms", Schema.INT64_SCHEMA)
                .field("snapshot", Schema.OPTIONAL_STRING_SCHEMA).field("db", Schema.STRING_SCHEMA)
                .field("collection", Schema.STRING_SCHEMA).field("ord", Schema.INT32_SCHEMA)
                .field("wallTime", Schema.OPTIONAL_INT64_SCHEMA).build();
        final Schema envelope = SchemaBuilder.struct().field("before", Schema.OPTIONAL_STRING_SCHEMA)
                .field("after", Schema.OPTIONAL_STRING_SCHEMA).field("source", source)
                .field("op", Schema.STRING_SCHEMA).build();
        final Struct value = new Struct(envelope).put("source", new Struct(source).put("ts_ms", 1_700_000_000_000L)
                .put("snapshot", "false").put("db", "rtdw").put("collection", "vehicle").put("ord", 2)
                .put("wallTime", 1_700_000_000_321L)).put("op", "d");
        // Debezium 3.4's offset token: base64 of {_data: hex}; the hex starts with the cluster time.
        final String data = io.rtdw.cdc.mongodb.RecordedMongoEvents.tokenData(
                io.rtdw.cdc.mongodb.DebeziumMongoEventMapper.sequence(1_700_000_000L, 2), 0, "delete", 12);
        final SourceRecord record = new SourceRecord(Map.of(), Map.of("resume_token",
                io.rtdw.cdc.mongodb.DebeziumMongoEventMapper.offsetToken(data)),
                CATALOG.vehicles().name(), null, key, new Struct(key).put("id", "12"), envelope, value);
        final byte[][] bytes = write(record);
        final VehicleKey k = RegistrySerdes.keySerde(CATALOG.vehicles()).deserializer()
                .deserialize(CATALOG.vehicles().name(), bytes[0]);
        assertEquals(12, k.getId());
        final VehicleChange change = SERDES.valueSerde(CATALOG.vehicles()).deserializer()
                .deserialize(CATALOG.vehicles().name(), bytes[1]);
        assertEquals(Op.DELETE, change.getOp());
        assertNull(change.getBefore());
        assertEquals(data, change.getSource().getPosition());
        assertEquals(data, change.getSource().getChangeOrder());
        assertEquals((1_700_000_000L << 32) | 2, change.getSource().getCommitSequence());
        assertEquals(1_700_000_000_321L, new CommitTimestamp().apply(record).timestamp());
    }

    @Test
    void anUnmappableRowFailsTheRecordSoConnectCanSkipAndLogIt() {
        final Schema envelope = SchemaBuilder.struct().field("after", Schema.OPTIONAL_STRING_SCHEMA)
                .field("source", SchemaBuilder.struct().field("ts_ms", Schema.INT64_SCHEMA).build())
                .field("op", Schema.STRING_SCHEMA).build();
        final Struct value = new Struct(envelope).put("after", "{\"_id\": 1,\"customer_id\": \"x\"}")
                .put("source", new Struct(envelope.field("source").schema()).put("ts_ms", 1L)).put("op", "c");
        final DataException e = assertThrows(DataException.class, () -> converter(false)
                .fromConnectData(CATALOG.vehicles().name(), envelope, value));
        assertTrue(e.getMessage().contains("customer_id"), e.getMessage());
    }
}
