package io.rtdw.pinot.decoder;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.serde.EmbeddedRegistryClient;
import io.rtdw.serde.RegistrySerdes;
import org.apache.pinot.spi.data.readers.GenericRow;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The decoder reads what the pipeline's serializer writes. (Here it runs on avro 1.12; PinotUpsertIT runs it
 * inside Pinot 0.11 on avro 1.7.7.)
 */
class RegistryFramedAvroDecoderTest {

    private final RegistryFramedAvroDecoder decoder = new RegistryFramedAvroDecoder();
    private final byte[] framed = RegistrySerdes.embedded().valueSerde(TopicCatalog.DEFAULT.unifiedCustomers()).serializer()
            .serialize("t", UnifiedCustomer.newBuilder().setCustomerId(42).setVersion(3)
                    .setSourceTsMs(Instant.ofEpochMilli(1_700_000_000_000L)).setProfession("pilot")
                    .setFlightCount(1).setFlights(List.of(UnifiedFlight.newBuilder().setFlightId(7).setAirline("TAP")
                            .setSourceTsMs(Instant.ofEpochMilli(1_700_000_000_000L)).build()))
                    .setVehicles(List.of()).build());

    @BeforeEach
    void init() throws Exception {
        decoder.init(Map.of(), Set.of("customer_id", "version", "profession", "deleted", "source_ts_ms", "flights"), "t");
    }

    @Test
    void idsAgreeWithTheEmbeddedRegistry() {
        assertEquals(EmbeddedRegistryClient.idOf(UnifiedCustomer.getClassSchema()),
                RegistryFramedAvroDecoder.idOf(UnifiedCustomer.getClassSchema()));
    }

    @Test
    void decodesAFramedRecordAtAnOffset() {
        final byte[] padded = new byte[framed.length + 3];
        System.arraycopy(framed, 0, padded, 2, framed.length);
        final GenericRow row = decoder.decode(padded, 2, framed.length, new GenericRow());
        assertNotNull(row);
        assertEquals(42, row.getValue("customer_id"));
        assertEquals(3L, row.getValue("version"));
        assertEquals("pilot", row.getValue("profession"));
        assertEquals(false, row.getValue("deleted"));
        assertEquals(1_700_000_000_000L, row.getValue("source_ts_ms"));
        final Object[] flights = (Object[]) row.getValue("flights");
        assertEquals(1, flights.length);
        assertEquals("TAP", ((Map<?, ?>) flights[0]).get("airline"));
        assertNull(row.getValue("name"), "not among the fields to read");
    }

    @Test
    void tombstonesAndForeignBytesAreDroppedNotThrown() {
        assertNull(decoder.decode(null, new GenericRow()));
        assertNull(decoder.decode(new byte[0], 0, 0, new GenericRow()));
        assertNull(decoder.decode(new byte[] {1, 2, 3, 4, 5, 6}, new GenericRow()), "no magic byte");
        final byte[] unknownId = framed.clone();
        unknownId[1] = (byte) 0x7f;
        assertNull(decoder.decode(unknownId, new GenericRow()), "schema id not released");
        final byte[] truncated = Arrays.copyOf(framed, framed.length - 4);
        assertNull(decoder.decode(truncated, new GenericRow()), "truncated Avro");
        assertArrayEquals(new byte[] {0}, Arrays.copyOf(framed, 1));
    }
}
