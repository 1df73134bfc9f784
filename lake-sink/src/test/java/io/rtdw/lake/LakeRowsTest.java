package io.rtdw.lake;

import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parquet written without Hadoop is read back by an independent reader (DuckDB) with the right types and values. */
class LakeRowsTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = CompressionCodecName.class, names = {"UNCOMPRESSED", "SNAPPY", "ZSTD"})
    void duckDbReadsWhatTheSinkWrites(final CompressionCodecName codec) throws Exception {
        final List<GenericRecord> rows = new ArrayList<>();
        final Instant ts = Instant.parse("2026-11-21T10:15:30.123Z");
        rows.add(LakeRows.row(UnifiedCustomer.newBuilder().setCustomerId(1).setVersion(4).setSourceTsMs(ts)
                .setName("Ana").setProfession("pilot").setBirthDate(LocalDate.of(1990, 5, 17))
                .setUpdatedAt(LocalDateTime.of(2026, 11, 21, 7, 15, 30, 123_456_000)).setFlightCount(2).setVehicleCount(1)
                .setFlights(List.of(
                        UnifiedFlight.newBuilder().setFlightId(10).setAirline("TAP").setAirport("LIS").setSourceTsMs(ts).build(),
                        UnifiedFlight.newBuilder().setFlightId(11).setAirline("GOL").setSourceTsMs(ts).build()))
                .setVehicles(List.of(UnifiedVehicle.newBuilder().setVehicleId(5).setMaker("Fiat").setVehicleYear(2019)
                        .setSourceTsMs(ts).build()))
                .build(), 2, 77, ts.plusMillis(5).toEpochMilli()));
        rows.add(LakeRows.row(UnifiedCustomer.newBuilder().setCustomerId(2).setDeleted(true).setVersion(9)
                .setSourceTsMs(ts).setFlights(List.of()).setVehicles(List.of()).build(), 0, 3, ts.toEpochMilli()));
        final Path file = dir.resolve("rows.parquet");
        Files.write(file, LakeRows.parquet(rows, codec, Map.of("k", "v")));

        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
             Statement st = duck.createStatement()) {
            final String from = " FROM read_parquet('" + file + "')";
            try (ResultSet rs = st.executeQuery("SELECT kafka_partition, kafka_offset, customer_id, deleted, version, "
                    + "name, birth_date, epoch_ms(source_ts_ms), len(flights), flights[1].airline, flights[2].airport, "
                    + "vehicles[1].maker, vehicles[1].vehicle_year, strftime(updated_at, '%Y-%m-%d %H:%M:%S.%f')"
                    + from + " ORDER BY customer_id")) {
                assertTrue(rs.next());
                assertEquals(2, rs.getInt(1));
                assertEquals(77, rs.getLong(2));
                assertEquals(1, rs.getInt(3));
                assertEquals(false, rs.getBoolean(4));
                assertEquals(4, rs.getLong(5));
                assertEquals("Ana", rs.getString(6));
                assertEquals("1990-05-17", rs.getString(7));
                assertEquals(ts.toEpochMilli(), rs.getLong(8));
                assertEquals(2, rs.getInt(9));
                assertEquals("TAP", rs.getString(10));
                assertEquals(null, rs.getString(11));
                assertEquals("Fiat", rs.getString(12));
                assertEquals(2019, rs.getInt(13));
                assertEquals("2026-11-21 07:15:30.123456", rs.getString(14));
                assertTrue(rs.next());
                assertEquals(true, rs.getBoolean(4));
                assertEquals(0, rs.getInt(9));
            }
            try (ResultSet rs = st.executeQuery("SELECT typeof(source_ts_ms), typeof(updated_at), typeof(birth_date)"
                    + from + " LIMIT 1")) {
                assertTrue(rs.next());
                assertEquals("TIMESTAMP WITH TIME ZONE", rs.getString(1), "an instant");
                assertEquals("TIMESTAMP", rs.getString(2), "a local (source wall clock) time");
                assertEquals("DATE", rs.getString(3));
            }
            try (ResultSet rs = st.executeQuery("SELECT decode(value) FROM parquet_kv_metadata('" + file + "') WHERE decode(key) = 'k'")) {
                assertTrue(rs.next());
                assertEquals("v", rs.getString(1));
            }
        }
    }
}
