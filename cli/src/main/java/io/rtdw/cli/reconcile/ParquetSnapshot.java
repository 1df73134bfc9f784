package io.rtdw.cli.reconcile;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The lake's snapshot ({@code snapshot/latest*.parquet} under the bucket directory, lake-sink/README.md) read with
 * DuckDB, an independent Parquet reader: three queries (customers, flights unnested, vehicles unnested).
 */
final class ParquetSnapshot {

    private ParquetSnapshot() {
    }

    /** The snapshot's live customers; {@code bucket} is the bucket's directory (e.g. {@code <data-dir>/s3/rtdw-lake}). */
    static Copy read(final Path bucket) throws IOException, SQLException {
        final Path dir = bucket.resolve("snapshot");
        final List<Path> files = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "latest*.parquet")) {
                ds.forEach(files::add);
            }
        }
        if (files.isEmpty()) {
            throw new IllegalStateException("no snapshot: no " + dir + "/latest*.parquet (has the lake sink written"
                    + " one yet?)");
        }
        final String source = "read_parquet([" + String.join(", ", files.stream().sorted()
                .map(p -> "'" + p.toAbsolutePath().toString().replace("'", "''") + "'").toList()) + "])";
        final Map<Integer, Map<String, String>> fields = new HashMap<>();
        final Map<Integer, int[]> counts = new HashMap<>();
        final Map<Integer, TreeMap<Integer, Map<String, String>>> flights = new HashMap<>();
        final Map<Integer, TreeMap<Integer, Map<String, String>>> vehicles = new HashMap<>();
        int deleted = 0;
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT customer_id, deleted, name, gender, address, phone, email,"
                    + " photo_url, datediff('day', DATE '1970-01-01', birth_date), profession, epoch_us(updated_at),"
                    + " flight_count, vehicle_count FROM " + source)) {
                while (rs.next()) {
                    if (rs.getBoolean(2)) {
                        deleted++;
                        continue;
                    }
                    final Map<String, String> f = new HashMap<>(16);
                    f.put("name", rs.getString(3));
                    f.put("gender", rs.getString(4));
                    f.put("address", rs.getString(5));
                    f.put("phone", rs.getString(6));
                    f.put("email", rs.getString(7));
                    f.put("photo_url", rs.getString(8));
                    f.put("birth_date", Values.epochDay((Number) rs.getObject(9)));
                    f.put("profession", rs.getString(10));
                    f.put("updated_at", Values.localMicros((Number) rs.getObject(11)));
                    fields.put(rs.getInt(1), f);
                    counts.put(rs.getInt(1), new int[] {rs.getInt(12), rs.getInt(13)});
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT customer_id, f.flight_id, f.airport, f.airline, f.iata_code,"
                    + " epoch_us(f.updated_at) FROM (SELECT customer_id, unnest(flights) AS f FROM " + source
                    + " WHERE NOT deleted)")) {
                while (rs.next()) {
                    final Map<String, String> f = new HashMap<>(8);
                    f.put("airport", rs.getString(3));
                    f.put("airline", rs.getString(4));
                    f.put("iata_code", rs.getString(5));
                    f.put("updated_at", Values.localMicros((Number) rs.getObject(6)));
                    flights.computeIfAbsent(rs.getInt(1), k -> new TreeMap<>()).put(rs.getInt(2), f);
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT customer_id, v.vehicle_id, v.model_year, v.model, v.maker,"
                    + " v.vehicle_year, v.category, epoch_ms(v.updated_at) FROM (SELECT customer_id,"
                    + " unnest(vehicles) AS v FROM " + source + " WHERE NOT deleted)")) {
                while (rs.next()) {
                    final Map<String, String> f = new HashMap<>(8);
                    f.put("model_year", rs.getString(3));
                    f.put("model", rs.getString(4));
                    f.put("maker", rs.getString(5));
                    f.put("vehicle_year", Values.text(rs.getObject(6)));
                    f.put("category", rs.getString(7));
                    f.put("updated_at", Values.epochMillis((Number) rs.getObject(8)));
                    vehicles.computeIfAbsent(rs.getInt(1), k -> new TreeMap<>()).put(rs.getInt(2), f);
                }
            }
        }
        final Map<Integer, View> live = new HashMap<>(fields.size() * 2);
        fields.forEach((id, f) -> live.put(id, new View(id, f, counts.get(id)[0], counts.get(id)[1],
                flights.getOrDefault(id, new TreeMap<>()), vehicles.getOrDefault(id, new TreeMap<>()))));
        return new Copy("parquet", live, files.size() + " snapshot file(s) in " + dir
                + (deleted > 0 ? "; " + deleted + " delete markers in the snapshot (it should hold live rows only)"
                : ""));
    }
}
