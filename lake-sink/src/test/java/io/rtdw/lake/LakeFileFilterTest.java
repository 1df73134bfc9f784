package io.rtdw.lake;

import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A lake file rewritten without one customer holds exactly the other rows, read by an independent reader (DuckDB)
 * before and after, with the same schema, codec and footer metadata; a second rewrite changes nothing.
 */
class LakeFileFilterTest {

    @TempDir
    Path dir;

    @Test
    void removesOneCustomersRowsAndKeepsEverythingElse() throws Exception {
        final Instant ts = Instant.parse("2026-11-21T10:15:30.123Z");
        final List<GenericRecord> rows = new ArrayList<>();
        long offset = 100;
        for (final int customer : new int[] {1, 3, 2, 3, 4}) {
            rows.add(LakeRows.row(UnifiedCustomer.newBuilder().setCustomerId(customer).setVersion(offset)
                    .setSourceTsMs(ts.plusSeconds(offset)).setName("name-" + customer).setEmail(customer + "@example.org")
                    .setBirthDate(LocalDate.of(1980 + customer, 1, 2))
                    .setUpdatedAt(LocalDateTime.of(2026, 11, 21, 7, 15, 30, 123_456_000)).setFlightCount(1).setVehicleCount(0)
                    .setFlights(List.of(UnifiedFlight.newBuilder().setFlightId(customer * 10).setAirport("LIS")
                            .setSourceTsMs(ts).build()))
                    .setVehicles(List.of()).build(), 2, offset, ts.toEpochMilli() + offset));
            offset += 3;
        }
        final Path file = dir.resolve("00000000000000000100-00000000000000000112.parquet");
        Files.write(file, LakeRows.parquet(rows, CompressionCodecName.ZSTD, Map.of("rtdw.snapshot.offsets", "2:113")));
        final List<String> before = rows(file, "customer_id <> 3");
        final String schemaBefore = kv(file, "parquet.avro.schema");
        assertEquals(3, before.size(), "the oracle: the other customers' rows, read before the rewrite");
        assertEquals(2, rows(file, "customer_id = 3").size());

        assertFalse(LakeFileFilter.mayHold(file, 99), "outside every row group's min/max");
        assertTrue(LakeFileFilter.mayHold(file, 3));
        assertEquals(2, LakeFileFilter.count(file, 3));

        assertEquals(2, LakeFileFilter.removeCustomer(file, 3));
        assertEquals(before, rows(file, "true"), "every other row, every column, unchanged");
        assertEquals(List.of(), rows(file, "customer_id = 3"));
        assertEquals(schemaBefore, kv(file, "parquet.avro.schema"), "same Avro schema in the footer");
        assertEquals("2:113", kv(file, "rtdw.snapshot.offsets"), "the sink's footer metadata is kept");
        assertEquals("ZSTD", codec(file));
        try (var listing = Files.list(dir)) {
            assertEquals(List.of(file), listing.toList(), "no temporary file left");
        }

        final byte[] rewritten = Files.readAllBytes(file);
        assertEquals(0, LakeFileFilter.removeCustomer(file, 3), "second run");
        assertArrayEquals(rewritten, Files.readAllBytes(file), "a file without the customer is not written");
    }

    /** Every column of the rows matching {@code where}, as DuckDB renders them, in offset order. */
    private static List<String> rows(final Path file, final String where) throws Exception {
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
             Statement st = duck.createStatement();
             ResultSet rs = st.executeQuery("SELECT * FROM read_parquet('" + file + "') WHERE " + where
                     + " ORDER BY kafka_offset")) {
            final ResultSetMetaData meta = rs.getMetaData();
            final List<String> out = new ArrayList<>();
            while (rs.next()) {
                final String[] values = new String[meta.getColumnCount()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = meta.getColumnName(i + 1) + "=" + rs.getString(i + 1);
                }
                out.add(Arrays.toString(values));
            }
            return out;
        }
    }

    private static String kv(final Path file, final String key) throws Exception {
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
             Statement st = duck.createStatement();
             ResultSet rs = st.executeQuery("SELECT decode(value) FROM parquet_kv_metadata('" + file + "') WHERE decode(key) = '"
                     + key + "'")) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static String codec(final Path file) throws Exception {
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
             Statement st = duck.createStatement();
             ResultSet rs = st.executeQuery("SELECT DISTINCT compression FROM parquet_metadata('" + file + "')")) {
            assertTrue(rs.next());
            final String codec = rs.getString(1);
            assertFalse(rs.next(), "one codec");
            return codec;
        }
    }
}
