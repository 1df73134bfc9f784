package io.rtdw.pinot.decoder;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.serde.RegistrySerdes;
import org.apache.pinot.spi.data.readers.GenericRow;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** With RTDW_MASK_FIELDS in the Pinot server's environment the decoded row holds pseudonyms and nulls. */
class RegistryFramedAvroDecoderMaskingTest {

    private static final String KEY = "pinot-and-lake-share-this-key-0123456789";

    private final byte[] framed = RegistrySerdes.embedded().valueSerde(TopicCatalog.DEFAULT.unifiedCustomers())
            .serializer().serialize("t", UnifiedCustomer.newBuilder().setCustomerId(42).setVersion(3)
                    .setSourceTsMs(Instant.ofEpochMilli(1_700_000_000_000L)).setName("Ana Souza")
                    .setEmail("ana@example.com").setPhone(null).setGender("F").setBirthDate(LocalDate.of(1990, 5, 17))
                    .setProfession("pilot").setFlightCount(1)
                    .setFlights(List.of(UnifiedFlight.newBuilder().setFlightId(7).setAirline("TAP")
                            .setSourceTsMs(Instant.ofEpochMilli(1_700_000_000_000L)).build()))
                    .setVehicles(List.of()).build());

    /** The oracle: HMAC-SHA256 with the JDK, first 16 bytes in hex. */
    private static String hmac(final String value) throws Exception {
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(value.getBytes(StandardCharsets.UTF_8)), 0, 16);
    }

    private static RegistryFramedAvroDecoder decoder(final Map<String, String> environment) throws Exception {
        final RegistryFramedAvroDecoder decoder = new RegistryFramedAvroDecoder(environment);
        decoder.init(Map.of(), Set.of(), "t");   // empty: every field
        return decoder;
    }

    @Test
    void decodedRowIsMasked() throws Exception {
        final GenericRow row = decoder(Map.of("RTDW_MASK_FIELDS", "name,email,phone,gender:redact,birth_date:redact",
                "RTDW_MASK_KEY", KEY)).decode(framed, new GenericRow());
        assertNotNull(row);
        assertEquals(hmac("Ana Souza"), row.getValue("name"));
        assertEquals(hmac("ana@example.com"), row.getValue("email"));
        assertNull(row.getValue("phone"), "null stays null");
        assertNull(row.getValue("gender"));
        assertNull(row.getValue("birth_date"));
        assertEquals("pilot", row.getValue("profession"));
        assertEquals(42, row.getValue("customer_id"));
        assertEquals(3L, row.getValue("version"));
        assertEquals("TAP", ((Map<?, ?>) ((Object[]) row.getValue("flights"))[0]).get("airline"));
    }

    @Test
    void withoutTheVariablesNothingIsMasked() throws Exception {
        final GenericRow row = decoder(Map.of()).decode(framed, new GenericRow());
        assertEquals("Ana Souza", row.getValue("name"));
        assertEquals("ana@example.com", row.getValue("email"));
        assertEquals((int) LocalDate.of(1990, 5, 17).toEpochDay(), row.getValue("birth_date"));
    }

    @Test
    void aWrongSettingFailsInitRatherThanIngestingClearValues() {
        final RegistryFramedAvroDecoder unknown = new RegistryFramedAvroDecoder(Map.of("RTDW_MASK_FIELDS", "ssn",
                "RTDW_MASK_KEY", KEY));
        assertThrows(IllegalArgumentException.class, () -> unknown.init(Map.of(), Set.of(), "t"));
        final RegistryFramedAvroDecoder noKey = new RegistryFramedAvroDecoder(Map.of("RTDW_MASK_FIELDS", "email"));
        assertThrows(IllegalArgumentException.class, () -> noKey.init(Map.of(), Set.of(), "t"));
    }
}
