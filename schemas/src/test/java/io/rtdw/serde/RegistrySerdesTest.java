package io.rtdw.serde;

import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.apicurio.registry.serde.avro.AvroSerdeConfig;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.Customer;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.schemas.UnifiedCustomer;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RegistrySerdesTest {

    private static final TopicCatalog CATALOG = TopicCatalog.DEFAULT;

    static CustomerChange sampleChange() {
        final Customer after = Customer.newBuilder().setId(7).setNome("Ana").setEmail("ana@example.com")
                .setNascimento(LocalDate.of(1990, 3, 4)).build();
        return CustomerChange.newBuilder().setOp(Op.CREATE).setAfter(after)
                .setSource(SourceInfo.newBuilder().setConnector("postgresql").setDb("app").setTable("public.customers")
                        .setCommitTsMs(1_700_000_000_000L).setPosition("0/16B3748").setSequence(23803720L).build())
                .build();
    }

    @Test
    void valuesRoundTripWithRegistryFraming() {
        final Serde<CustomerChange> serde = RegistrySerdes.embedded().valueSerde(CATALOG.customers());
        final CustomerChange change = sampleChange();
        final byte[] bytes = serde.serializer().serialize(CATALOG.customers().name(), change);

        assertEquals(0, bytes[0], "magic byte");
        assertEquals(EmbeddedRegistryClient.idOf(CustomerChange.getClassSchema()), ByteBuffer.wrap(bytes, 1, 4).getInt(),
                "4-byte schema id after the magic byte");
        assertEquals(change, serde.deserializer().deserialize(CATALOG.customers().name(), bytes));
    }

    @Test
    void twoProcessesWithTheirOwnEmbeddedRegistryReadEachOther() {
        final String topic = CATALOG.unifiedCustomers().name();
        final UnifiedCustomer record = UnifiedCustomer.newBuilder().setCustomerId(1).setDeleted(false).setVersion(3)
                .setSourceTsMs(Instant.ofEpochMilli(1_700_000_000_123L)).setName("Bo").setFlights(List.of())
                .setVehicles(List.of()).build();
        final byte[] bytes = RegistrySerdes.embedded().valueSerde(CATALOG.unifiedCustomers()).serializer()
                .serialize(topic, record);
        final UnifiedCustomer read = RegistrySerdes.embedded().valueSerde(CATALOG.unifiedCustomers()).deserializer()
                .deserialize(topic, bytes);
        assertEquals(record, read);
    }

    @Test
    void unknownFieldsFromANewerWriterAreIgnored() {
        // A producer on a newer schema version adds a field; this build's reader must still read the record.
        final Schema newer = addField(CustomerChange.getClassSchema(), "added_later");
        final EmbeddedRegistryClient registry = new EmbeddedRegistryClient();
        final AvroKafkaSerializer<GenericRecord> serializer = new AvroKafkaSerializer<>(registry);
        serializer.configure(Map.of(AvroSerdeConfig.REGISTRY_URL, "http://embedded.invalid",
                AvroSerdeConfig.AUTO_REGISTER_ARTIFACT, true, AvroSerdeConfig.DEREFERENCE_SCHEMA, true), false);
        final GenericRecord source = new GenericData.Record(SourceInfo.getClassSchema());
        source.put("connector", "postgresql");
        source.put("db", "app");
        source.put("table", "public.customers");
        source.put("commit_ts_ms", 5L);
        source.put("position", "0/1");
        source.put("sequence", 1L);
        source.put("snapshot", false);
        source.put("epoch", "pg:1:1");
        source.put("commit_sequence", 2L);
        source.put("change_order", "0000000000000001");
        final GenericRecord value = new GenericData.Record(newer);
        value.put("op", new GenericData.EnumSymbol(newer.getField("op").schema(), "DELETE"));
        value.put("source", source);
        value.put("added_later", "x");
        final byte[] bytes = serializer.serialize("t", value);

        final io.apicurio.registry.serde.avro.AvroKafkaDeserializer<CustomerChange> deserializer =
                new io.apicurio.registry.serde.avro.AvroKafkaDeserializer<>(registry);
        deserializer.configure(Map.of(AvroSerdeConfig.REGISTRY_URL, "http://embedded.invalid",
                AvroSerdeConfig.USE_SPECIFIC_AVRO_READER, true), false);
        final CustomerChange read = deserializer.deserialize("t", bytes);
        assertEquals(Op.DELETE, read.getOp());
        assertEquals(5L, read.getSource().getCommitTsMs());
    }

    @Test
    void keysArePlainAvroWithoutFraming() {
        final Serde<CustomerKey> serde = RegistrySerdes.keySerde(CATALOG.customers());
        final byte[] bytes = serde.serializer().serialize("t", new CustomerKey(150));
        // Avro zig-zag varint of 150 = 0xAC 0x02, nothing else: the partition depends only on the id.
        assertArrayEquals(new byte[]{(byte) 0xAC, 0x02}, bytes);
        assertEquals(new CustomerKey(150), serde.deserializer().deserialize("t", bytes));
        assertThrows(SerializationException.class, () -> serde.deserializer().deserialize("t", new byte[]{1, 2, 3}));
    }

    @Test
    void garbageValuesFailWithSerializationErrors() {
        final Serde<CustomerChange> serde = RegistrySerdes.embedded().valueSerde(CATALOG.customers());
        assertThrows(RuntimeException.class,
                () -> serde.deserializer().deserialize("t", "not avro at all".getBytes()));
    }

    @Test
    void aServiceNeedsARealRegistry() {
        final IllegalArgumentException unset = assertThrows(IllegalArgumentException.class,
                () -> RegistrySerdes.fromEnv(Map.of()));
        assertTrue(unset.getMessage().contains("RTDW_REGISTRY_URL is required"), unset.getMessage());
        final IllegalArgumentException embedded = assertThrows(IllegalArgumentException.class,
                () -> RegistrySerdes.fromEnv(Map.of("RTDW_REGISTRY_URL", "embedded")));
        assertTrue(embedded.getMessage().contains("for tests only"), embedded.getMessage());
        final RegistrySerdes remote = RegistrySerdes.fromEnv(Map.of("RTDW_REGISTRY_URL", "http://apicurio:8080/apis/registry/v3"));
        assertEquals(false, remote.isEmbedded());
        assertEquals("http://apicurio:8080/apis/registry/v3", remote.url());
    }

    @Test
    void credentialsGoTogetherAndThePasswordIsNeverShown() {
        final String url = "http://apicurio:8080/apis/registry/v3";
        assertEquals("", RegistrySerdes.fromEnv(Map.of("RTDW_REGISTRY_URL", url)).username(), "anonymous by default");
        final io.rtdw.runtime.Env env = io.rtdw.runtime.Env.of(Map.of("RTDW_REGISTRY_URL", url,
                "RTDW_REGISTRY_USERNAME", "rtdw-services", "RTDW_REGISTRY_PASSWORD", "pw-123456"));
        assertEquals("rtdw-services", RegistrySerdes.fromEnv(env).username());
        env.validate();
        assertTrue(env.describe().contains("RTDW_REGISTRY_PASSWORD=***"), env.describe());
        assertTrue(!env.describe().contains("pw-123456"), env.describe());
        final IllegalArgumentException half = assertThrows(IllegalArgumentException.class, () -> RegistrySerdes.fromEnv(
                Map.of("RTDW_REGISTRY_URL", url, "RTDW_REGISTRY_USERNAME", "rtdw-services")));
        assertTrue(half.getMessage().contains("set both or neither"), half.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RegistrySerdes.fromEnv(
                Map.of("RTDW_REGISTRY_URL", url, "RTDW_REGISTRY_PASSWORD", "pw")));
        assertThrows(IllegalStateException.class, () -> RegistrySerdes.embedded().withCredentials("u", "p"));
    }

    private static Schema addField(final Schema schema, final String name) {
        final List<Schema.Field> fields = new java.util.ArrayList<>();
        schema.getFields().forEach(f -> fields.add(new Schema.Field(f, f.schema())));
        fields.add(new Schema.Field(name, SchemaBuilder.builder().stringType(), "added by a newer producer", "none"));
        return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }
}
