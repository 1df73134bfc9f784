package io.rtdw.cli.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Pinot table {@code unified_customer} read through the broker's SQL API ({@code POST /query/sql}), in pages of
 * customer ids ({@code WHERE customer_id >= next ORDER BY customer_id LIMIT page}): no single query has to return the
 * whole table. Rows with {@code deleted = true} are the table's delete markers (Pinot 0.11 has no
 * {@code deleteRecordColumn}, pinot/README.md) and count as absent.
 *
 * <p>Pinot has no nulls in this table's columns: a null string reads back as {@code "null"}, a null INT or LONG as its
 * type's minimum. They are read back as null here (a source value that is the text {@code null} cannot be told apart).
 * The children come from the JSON columns {@code flights_json} and {@code vehicles_json} (the arrays as ingested).
 */
final class PinotTable {

    static final String TABLE = "unified_customer";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COLUMNS = "customer_id, deleted, name, gender, address, phone, email, photo_url,"
            + " birth_date, profession, updated_at, flight_count, vehicle_count, flights_json, vehicles_json";

    private final URI query;
    private final String authorization;
    private final Duration timeout;
    private final int page;
    private final HttpClient http;

    PinotTable(final String brokerUrl, final String user, final String password, final Duration timeout,
               final int page) {
        this.query = URI.create(brokerUrl.replaceAll("/+$", "") + "/query/sql");
        this.authorization = user == null || user.isEmpty() ? null : "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        this.timeout = timeout;
        this.page = page;
        // HTTP/1.1: the JDK client's default h2c upgrade offer on a POST makes Pinot 0.11's Grizzly broker answer 500
        // after 30 s (seen in ReconcilePinotIT).
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
    }

    Copy read() throws IOException, InterruptedException {
        final Map<Integer, View> live = new HashMap<>();
        int deleted = 0;
        int queries = 0;
        long next = Integer.MIN_VALUE;
        while (next <= Integer.MAX_VALUE) {
            final JsonNode rows = rows("SELECT " + COLUMNS + " FROM " + TABLE + " WHERE customer_id >= " + next
                    + " ORDER BY customer_id LIMIT " + page);
            queries++;
            for (final JsonNode row : rows) {
                final int id = row.get(0).asInt();
                next = (long) id + 1;
                if (isTrue(row.get(1))) {
                    deleted++;
                    continue;
                }
                final Map<String, String> f = new HashMap<>(16);
                f.put("name", string(row.get(2)));
                f.put("gender", string(row.get(3)));
                f.put("address", string(row.get(4)));
                f.put("phone", string(row.get(5)));
                f.put("email", string(row.get(6)));
                f.put("photo_url", string(row.get(7)));
                f.put("birth_date", row.get(8).asLong() == Integer.MIN_VALUE ? null : Values.epochDay(row.get(8).asLong()));
                f.put("profession", string(row.get(9)));
                f.put("updated_at", row.get(10).asLong() == Long.MIN_VALUE ? null : Values.localMicros(row.get(10).asLong()));
                live.put(id, new View(id, f, row.get(11).asInt(), row.get(12).asInt(),
                        children(row.get(13), "flight_id", View.FLIGHT_FIELDS, true),
                        children(row.get(14), "vehicle_id", View.VEHICLE_FIELDS, false)));
            }
            if (rows.size() < page) {
                break;
            }
        }
        return new Copy("pinot", live, "table " + TABLE + " at " + query + " in " + queries + " queries; " + deleted
                + " rows with deleted=true");
    }

    private JsonNode rows(final String sql) throws IOException, InterruptedException {
        final HttpRequest.Builder request = HttpRequest.newBuilder(query).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode().put("sql", sql).toString()));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        final HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("Pinot broker answered " + response.statusCode() + ": " + response.body());
        }
        final JsonNode body = JSON.readTree(response.body());
        final JsonNode exceptions = body.path("exceptions");
        if (exceptions.isArray() && !exceptions.isEmpty()) {
            throw new IOException("Pinot query failed: " + exceptions);
        }
        final JsonNode rows = body.path("resultTable").path("rows");
        if (!rows.isArray()) {
            throw new IOException("Pinot answered without a result table: " + response.body());
        }
        return rows;
    }

    private static boolean isTrue(final JsonNode value) {
        return value.isBoolean() ? value.asBoolean() : "true".equalsIgnoreCase(value.asText());
    }

    private static String string(final JsonNode value) {
        return value == null || value.isNull() || "null".equals(value.asText()) ? null : value.asText();
    }

    private static TreeMap<Integer, Map<String, String>> children(final JsonNode column, final String idField,
                                                                   final String[] fields, final boolean localTime)
            throws IOException {
        final TreeMap<Integer, Map<String, String>> out = new TreeMap<>();
        final String text = column == null || column.isNull() ? "null" : column.asText();
        if ("null".equals(text) || text.isEmpty()) {
            return out;
        }
        for (final JsonNode item : JSON.readTree(text)) {
            final Map<String, String> f = new HashMap<>(8);
            for (final String name : fields) {
                final JsonNode v = item.get(name);
                if (v == null || v.isNull()) {
                    f.put(name, null);
                } else if ("updated_at".equals(name) && v.isNumber()) {
                    f.put(name, localTime ? Values.localMicros(v.asLong()) : Values.epochMillis(v.asLong()));
                } else {
                    f.put(name, v.asText());
                }
            }
            out.put(item.get(idField).asInt(), f);
        }
        return out;
    }
}
