package io.rtdw.dev.mongodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rtdw.catalog.SourceChange;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.engine.MappedChange;
import io.rtdw.cdc.engine.UnmappableChangeException;
import io.rtdw.cdc.mongodb.DebeziumMongoEventMapper;
import io.rtdw.cdc.mongodb.RecordedMongoEvents.Scenario;
import io.rtdw.dev.Replay;
import io.rtdw.testing.ChangeLines;
import org.bson.Document;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * MongoDB changes in Debezium's shape, mapped by the capture's mapper and run through the real topology with
 * {@link Replay}: transactions that touch a vehicle twice, insert-delete-insert of one _id, a capture restart that
 * replays events, a document whose customer_id stops being an int. The unified records must list, per customer,
 * exactly the vehicles the documents as written give it (the SQL join), with their last values.
 */
class MongoSourceOrderReplayTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long T0 = 1_767_225_600L;
    private static final int[] CUSTOMERS = {-5, 0, 1, 2, 3, 4};

    private static Document car(final int customer, final String modelo) {
        return new Document("customer_id", customer).append("modelo", modelo).append("fabricante", "VW");
    }

    @Test
    void theTopologyEndsWithTheVehiclesAsWritten() throws IOException {
        final Scenario s = new Scenario(T0)
                .autoCommit(t -> t.insert(20, car(1, "Fox")))
                .transaction(t -> t.insert(21, car(1, "Polo")).update(21, new Document("customer_id", 2)
                        .append("modelo", "Polo GTS")))
                .transaction(t -> t.insert(22, car(3, "Up")).delete(22))
                .autoCommit(t -> t.delete(20))
                .autoCommit(t -> t.insert(20, car(0, "Fox 2")))
                .transaction(t -> t.update(20, new Document("customer_id", -5)).insert(23, car(4, "Gol"))
                        .update(21, new Document("modelo", "Polo Track")));
        // The capture is killed after Kafka acknowledged 3 events; it resumes after the third event's token.
        List.copyOf(s.events()).subList(3, s.events().size()).forEach(s::redeliver);
        s.autoCommit(t -> t.update(23, new Document("customer_id", "4")))         // a bad document: leaves customer 4
                .autoCommit(t -> t.insert(24, car(3, "Saveiro")));

        final List<ChangeLines.Line> lines = new ArrayList<>(ChangeLines.parse(new BufferedReader(new StringReader(
                customers()))));
        final DebeziumMongoEventMapper mapper = new DebeziumMongoEventMapper(TopicCatalog.DEFAULT,
                DebeziumMongoEventMapper.epoch("6768a1b2c3d4e5f601234567", null));
        for (final DebeziumMongoEventMapper.Event event : s.events()) {
            final List<MappedChange<?, ?>> mapped = new ArrayList<>();
            try {
                mapper.map(event).ifPresent(mapped::add);
            } catch (final UnmappableChangeException e) {
                e.retraction().ifPresent(mapped::add);
            }
            for (final MappedChange<?, ?> change : mapped) {
                lines.add(new ChangeLines.Line(SourceChange.Table.VEHICLE, change.key(), change.value(), null,
                        change.commitTsMs(), lines.size() + 1));
            }
        }

        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        Replay.run(lines, 100, false, new PrintStream(out, true, StandardCharsets.UTF_8));
        assertEquals(expected(s.collection()), lastRecords(out.toString(StandardCharsets.UTF_8)));
    }

    private static String customers() {
        final StringBuilder b = new StringBuilder();
        for (final int id : CUSTOMERS) {
            b.append("{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":").append(id)
                    .append(",\"after\":{\"nome\":\"C").append(id).append("\"},\"ts\":1000}\n");
        }
        return b.toString();
    }

    /** Per customer, vehicle id -> model, from the documents as written (vehicles whose customer_id is an int). */
    private static Map<Integer, Map<Integer, String>> expected(final Map<Integer, Document> collection) {
        final Map<Integer, Map<Integer, String>> out = new TreeMap<>();
        for (final int customer : CUSTOMERS) {
            out.put(customer, new TreeMap<>());
        }
        collection.forEach((id, doc) -> {
            if (doc.get("customer_id") instanceof Integer customer) {
                out.get(customer).put(id, doc.getString("modelo"));
            }
        });
        return out;
    }

    /** Per customer, vehicle id -> model, from the last unified record of each customer Replay printed. */
    private static Map<Integer, Map<Integer, String>> lastRecords(final String output) throws IOException {
        final Map<Integer, Map<Integer, String>> out = new TreeMap<>();
        for (final String line : output.lines().toList()) {
            final JsonNode record = JSON.readTree(line);
            final Map<Integer, String> vehicles = new TreeMap<>();
            record.path("vehicles").forEach(v -> vehicles.put(v.get("vehicle_id").asInt(), v.get("model").asText()));
            out.put(record.get("customer_id").asInt(), vehicles);
        }
        return out;
    }
}
