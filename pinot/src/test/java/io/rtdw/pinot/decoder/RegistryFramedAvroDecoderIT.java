package io.rtdw.pinot.decoder;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.testing.RegistryRest;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.RegistryServerExtension;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.pinot.spi.data.readers.GenericRow;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The decoder against the real Apicurio Registry: records written by the project's serdes with auto-registration
 * (one of them with an evolved schema, an extra optional field, registered as version 2) are decoded, with the
 * decoder configured with the registry's URL, into the expected rows. Once on our class path (avro 1.12), once on
 * Pinot 0.11's own class path (avro 1.7.7), where the decoder really runs.
 */
class RegistryFramedAvroDecoderIT {

    private static final Logger LOG = LoggerFactory.getLogger(RegistryFramedAvroDecoderIT.class);

    @RegisterExtension
    static final RegistryServerExtension REGISTRY = new RegistryServerExtension();

    private static final Set<String> FIELDS = Set.of("customer_id", "version", "deleted", "profession", "flights",
            "source_ts_ms", "loyalty_tier");
    private static final long TS = 1_700_000_000_000L;

    private static String topicName;
    private static byte[] pilot;
    private static byte[] deleted;
    private static byte[] evolved;

    @BeforeAll
    static void writeRecordsThroughTheRegistry() {
        final RegistryServer server = REGISTRY.server();
        topicName = "pinot-decoder-" + Long.toString(System.nanoTime(), 36) + ".unified_customer";
        final Topic<CustomerKey, UnifiedCustomer> topic = TopicCatalog.DEFAULT.unifiedCustomers().rename(topicName);
        final RegistrySerdes serdes = RegistrySerdes.remote(server.url(), true);

        pilot = serdes.valueSerde(topic).serializer().serialize(topicName, UnifiedCustomer.newBuilder()
                .setCustomerId(42).setVersion(3).setSourceTsMs(Instant.ofEpochMilli(TS)).setProfession("pilot")
                .setFlightCount(1).setFlights(List.of(UnifiedFlight.newBuilder().setFlightId(7).setAirline("TAP")
                        .setAirport("LIS").setSourceTsMs(Instant.ofEpochMilli(TS)).build()))
                .setVehicles(List.of()).build());
        deleted = serdes.valueSerde(topic).serializer().serialize(topicName, UnifiedCustomer.newBuilder()
                .setCustomerId(43).setVersion(5).setDeleted(true).setSourceTsMs(Instant.ofEpochMilli(TS + 1))
                .setFlights(List.of()).setVehicles(List.of()).build());

        // Version 2 of the artifact: the released schema plus an optional field (allowed by the registry's rule).
        final Schema released = UnifiedCustomer.getClassSchema();
        final List<Schema.Field> fields = new ArrayList<>();
        released.getFields().forEach(f -> fields.add(new Schema.Field(f, f.schema())));
        fields.add(new Schema.Field("loyalty_tier", Schema.createUnion(Schema.create(Schema.Type.NULL),
                Schema.create(Schema.Type.STRING)), "added in a test", Schema.Field.NULL_DEFAULT_VALUE));
        final Schema v2 = Schema.createRecord(released.getName(), released.getDoc(), released.getNamespace(), false,
                fields);
        final Schema flight = v2.getField("flights").schema().getElementType();
        final GenericRecord record = new GenericRecordBuilder(v2).set("customer_id", 44).set("version", 1L)
                .set("source_ts_ms", TS + 2).set("profession", "nurse").set("flight_count", 1)
                .set("flights", List.of(new GenericRecordBuilder(flight).set("flight_id", 8).set("airline", "GOL")
                        .set("source_ts_ms", TS + 2).build()))
                .set("loyalty_tier", "gold").build();
        evolved = serdes.genericValue().serializer().serialize(topicName, record);

        final RegistryRest rest = new RegistryRest(server.url());
        final long v2ContentId = rest.versionMetadata(RegistryRest.DEFAULT_GROUP, topicName + "-value", "branch=latest")
                .path("contentId").asLong();
        assertEquals(2, rest.versionCount(RegistryRest.DEFAULT_GROUP, topicName + "-value"));
        assertEquals(v2ContentId, id(evolved), "the evolved record carries version 2's contentId");
        assertNotEquals(id(pilot), id(evolved));
        assertEquals(id(pilot), id(deleted));
        LOG.info("records written through {}: ids {} (v1) and {} (v2)", server, id(pilot), id(evolved));
    }

    @Test
    void decodesRecordsOfBothSchemaVersionsIntoTheExpectedRows() throws Exception {
        final RegistryFramedAvroDecoder decoder = new RegistryFramedAvroDecoder();
        decoder.init(Map.of("registry.url", REGISTRY.server().url()), FIELDS, topicName);

        final GenericRow row = decoder.decode(pilot, new GenericRow());
        assertNotNull(row);
        assertEquals(42, row.getValue("customer_id"));
        assertEquals(3L, row.getValue("version"));
        assertEquals(false, row.getValue("deleted"));
        assertEquals("pilot", row.getValue("profession"));
        assertEquals(TS, row.getValue("source_ts_ms"));
        final Object[] flights = (Object[]) row.getValue("flights");
        assertEquals(1, flights.length);
        assertEquals("TAP", ((Map<?, ?>) flights[0]).get("airline"));
        assertEquals("LIS", ((Map<?, ?>) flights[0]).get("airport"));
        assertNull(row.getValue("loyalty_tier"), "version 1 has no such field");
        assertNull(row.getValue("name"), "not among the fields to read");

        final GenericRow gone = decoder.decode(deleted, new GenericRow());
        assertEquals(43, gone.getValue("customer_id"));
        assertEquals(true, gone.getValue("deleted"));
        assertEquals(5L, gone.getValue("version"));

        final GenericRow newer = decoder.decode(evolved, new GenericRow());
        assertNotNull(newer);
        assertEquals(44, newer.getValue("customer_id"));
        assertEquals(1L, newer.getValue("version"));
        assertEquals("nurse", newer.getValue("profession"));
        assertEquals("gold", newer.getValue("loyalty_tier"), "the new field, read with the writer's schema");
        assertEquals("GOL", ((Map<?, ?>) ((Object[]) newer.getValue("flights"))[0]).get("airline"));

        final byte[] unknown = pilot.clone();
        ByteBuffer.wrap(unknown, 1, 4).putInt(987_654);
        assertNull(decoder.decode(unknown, new GenericRow()), "an id the registry does not know is dropped");

        // Without the URL the decoder knows only the bundled content ids: the server's ids mean nothing to it.
        final RegistryFramedAvroDecoder bundled = new RegistryFramedAvroDecoder();
        bundled.init(Map.of("registry.url", ""), FIELDS, topicName);
        assertNull(bundled.decode(pilot, new GenericRow()));
    }

    /**
     * The plugin jar on Pinot 0.11's class path, the way Pinot loads it: avro 1.7.7, Pinot's slf4j binding, nothing
     * of ours but the jar. Rows are read reflectively (GenericRow is Pinot's class there).
     */
    @Test
    void decodesOnPinotsOwnClassPathWithAvro177() throws Exception {
        final String classpathFile = System.getProperty("rtdw.pinot.classpathFile");
        final String pluginJar = System.getProperty("rtdw.pinot.pluginJar");
        assumeTrue(classpathFile != null && pluginJar != null && Files.isRegularFile(Path.of(classpathFile))
                && Files.isRegularFile(Path.of(pluginJar)), "Pinot class path or plugin jar not built");
        final List<URL> urls = new ArrayList<>();
        urls.add(Path.of(pluginJar).toUri().toURL());
        for (final String entry : Files.readString(Path.of(classpathFile), StandardCharsets.UTF_8).trim()
                .split(File.pathSeparator)) {
            urls.add(Path.of(entry).toUri().toURL());
        }
        try (URLClassLoader pinot = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader())) {
            final String avroJar = pinot.loadClass("org.apache.avro.Schema").getProtectionDomain().getCodeSource()
                    .getLocation().getPath();
            assertTrue(avroJar.endsWith("avro-1.7.7.jar"), avroJar);
            final Class<?> decoderClass = pinot.loadClass(RegistryFramedAvroDecoder.class.getName());
            assertEquals(pinot, decoderClass.getClassLoader(), "the plugin jar's class, not ours");
            final Class<?> rowClass = pinot.loadClass("org.apache.pinot.spi.data.readers.GenericRow");
            final Object decoder = decoderClass.getConstructor().newInstance();
            decoderClass.getMethod("init", Map.class, Set.class, String.class)
                    .invoke(decoder, Map.of("registry.url", REGISTRY.server().url()), FIELDS, topicName);

            final Map<String, Object> row = decode(decoderClass, rowClass, decoder, pilot);
            assertEquals(42, row.get("customer_id"));
            assertEquals(3L, row.get("version"));
            assertEquals("pilot", row.get("profession"));
            assertEquals(TS, row.get("source_ts_ms"));
            assertEquals("TAP", ((Map<?, ?>) ((Object[]) row.get("flights"))[0]).get("airline"));

            final Map<String, Object> newer = decode(decoderClass, rowClass, decoder, evolved);
            assertEquals(44, newer.get("customer_id"));
            assertEquals("gold", newer.get("loyalty_tier"));
            assertArrayEquals(new Object[] {"GOL"}, new Object[] {
                    ((Map<?, ?>) ((Object[]) newer.get("flights"))[0]).get("airline")});
        }
    }

    private static Map<String, Object> decode(final Class<?> decoderClass, final Class<?> rowClass,
                                              final Object decoder, final byte[] value) throws Exception {
        final Object row = decoderClass.getMethod("decode", byte[].class, rowClass)
                .invoke(decoder, value, rowClass.getConstructor().newInstance());
        assertNotNull(row, "decoded on Pinot's class path");
        final Map<String, Object> values = new LinkedHashMap<>();
        for (final String field : FIELDS) {
            values.put(field, rowClass.getMethod("getValue", String.class).invoke(row, field));
        }
        return values;
    }

    private static int id(final byte[] framed) {
        assertEquals(0, framed[0], "magic byte");
        return ByteBuffer.wrap(framed, 1, 4).getInt();
    }
}
