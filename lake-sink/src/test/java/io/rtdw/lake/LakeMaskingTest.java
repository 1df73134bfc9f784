package io.rtdw.lake;

import io.rtdw.runtime.ConfigException;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RTDW_MASK_FIELDS as the lake sink reads it: the Parquet it writes holds pseudonyms and nulls where the record had
 * personal values, read back by DuckDB and compared with an HMAC computed here with the JDK; the record itself (what
 * the output topic holds) is left as it was.
 */
class LakeMaskingTest {

    private static final String KEY = "an-example-masking-key-of-40-bytes......";

    @TempDir
    Path dir;

    private Map<String, String> env(final String fields) throws Exception {
        final Map<String, String> env = new HashMap<>();
        env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), "kafka:9092");
        env.put(LakeSinkConfig.S3_ENDPOINT.name(), "http://minio:9000");
        env.put(LakeSinkConfig.S3_ACCESS_KEY.name(), "ak");
        env.put(LakeSinkConfig.S3_SECRET_KEY.name(), "sk");
        env.put("RTDW_MASK_FIELDS", fields);
        final Path keyFile = dir.resolve("mask-key");
        Files.writeString(keyFile, KEY + "\n");   // as a Secret mounted from a file with a trailing newline
        env.put("RTDW_MASK_KEY_FILE", keyFile.toString());
        return env;
    }

    /** The oracle: HMAC-SHA256 with the JDK, first 16 bytes in hex. */
    private static String hmac(final String value) throws Exception {
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        final byte[] digest = mac.doFinal(value.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest, 0, 16);
    }

    @Test
    void parquetHoldsPseudonymsAndNullsTheTopicRecordKeepsTheValues() throws Exception {
        final LakeSinkConfig config = LakeSinkConfig.fromEnv(env("email, name, phone, address:redact, birth_date:redact"));
        final Instant ts = Instant.parse("2026-12-02T10:00:00Z");
        final UnifiedCustomer ana = UnifiedCustomer.newBuilder().setCustomerId(1).setVersion(3).setSourceTsMs(ts)
                .setName("Ana Souza").setEmail("shared@example.com").setPhone("+55 11 5555-0101")
                .setAddress("Rua das Flores, 10").setBirthDate(LocalDate.of(1990, 5, 17)).setProfession("pilot")
                .setFlightCount(1).setFlights(List.of(UnifiedFlight.newBuilder().setFlightId(10).setAirline("TAP")
                        .setSourceTsMs(ts).build()))
                .setVehicles(List.of()).build();
        final UnifiedCustomer bruno = UnifiedCustomer.newBuilder().setCustomerId(2).setVersion(1).setSourceTsMs(ts)
                .setName("Bruno Lima").setEmail("shared@example.com").setPhone(null).setProfession("nurse")
                .setFlights(List.of()).setVehicles(List.of()).build();
        final List<GenericRecord> rows = List.of(
                LakeRows.row(ana, 0, 5, ts.toEpochMilli(), config.masks()),
                LakeRows.row(bruno, 1, 6, ts.toEpochMilli(), config.masks()));
        final Path file = dir.resolve("masked.parquet");
        Files.write(file, LakeRows.parquet(rows, CompressionCodecName.UNCOMPRESSED, Map.of()));

        // The output topic's record is not touched by the masking of its copy.
        assertEquals("shared@example.com", ana.getEmail());
        assertEquals("Rua das Flores, 10", ana.getAddress());

        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
             Statement st = duck.createStatement();
             ResultSet rs = st.executeQuery("SELECT customer_id, name, email, phone, address, birth_date, profession, "
                     + "flights[1].airline FROM read_parquet('" + file + "') ORDER BY customer_id")) {
            assertTrue(rs.next());
            assertEquals(1, rs.getInt(1));
            assertEquals(hmac("Ana Souza"), rs.getString(2));
            assertEquals(hmac("shared@example.com"), rs.getString(3));
            assertEquals(hmac("+55 11 5555-0101"), rs.getString(4));
            assertNull(rs.getString(5), "address redacted");
            assertNull(rs.getString(6), "birth_date redacted");
            assertEquals("pilot", rs.getString(7), "not named: unchanged");
            assertEquals("TAP", rs.getString(8), "children are not masked");
            assertTrue(rs.next());
            assertEquals(hmac("Bruno Lima"), rs.getString(2));
            assertEquals(hmac("shared@example.com"), rs.getString(3), "equal values: equal pseudonyms");
            assertNull(rs.getString(4), "null stays null");
            assertFalse(rs.next());
        }
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
             Statement st = duck.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(DISTINCT email), count(DISTINCT name) FROM read_parquet('"
                     + file + "')")) {
            assertTrue(rs.next());
            assertEquals(1, rs.getInt(1), "still countable");
            assertEquals(2, rs.getInt(2));
        }
        // No clear personal value anywhere in the (uncompressed) file: nor in statistics or dictionaries.
        final String bytes = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        for (final String clear : List.of("Ana Souza", "shared@example.com", "5555-0101", "Rua das Flores", "Bruno")) {
            assertFalse(bytes.contains(clear), clear);
        }
        assertTrue(bytes.contains("pilot"), "the check can see clear text");
    }

    @Test
    void aFieldThatCannotBeMaskedStopsTheSinkAtStart() throws Exception {
        final ConfigException unknown = assertThrows(ConfigException.class,
                () -> LakeSinkConfig.fromEnv(env("email,ssn")));
        assertTrue(unknown.getMessage().contains("'ssn' is not a personal field"), unknown.getMessage());
        final ConfigException notText = assertThrows(ConfigException.class,
                () -> LakeSinkConfig.fromEnv(env("birth_date")));
        assertTrue(notText.getMessage().contains("birth_date:redact"), notText.getMessage());
        final Map<String, String> noKey = env("email");
        noKey.remove("RTDW_MASK_KEY_FILE");
        assertThrows(ConfigException.class, () -> LakeSinkConfig.fromEnv(noKey));
        final Map<String, String> off = env("");
        assertTrue(LakeSinkConfig.fromEnv(off).masks().isEmpty(), "default: off");
    }
}
