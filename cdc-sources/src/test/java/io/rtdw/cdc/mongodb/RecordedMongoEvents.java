package io.rtdw.cdc.mongodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bson.Document;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Debezium 3.4 MongoDB connector events ({@code src/test/resources/mongodb-events}), in the shape the 3.4.1
 * connector emits as its source writes them ({@code SourceInfo}, {@code MongoDbSourceInfoStructMaker},
 * {@code MongoDbOffsetContext}, {@code ResumeTokens}): {@code source.ts_ms} is the server's wall time when it sends
 * one, the offset's {@code resume_token} is base64 of the BSON token document. No MongoDB runs here, so they were not
 * captured from a live server (cdc-sources/README, "Source order: MongoDB"). Also {@link Scenario}s that write a collection's history as the connector would deliver it. Shared through this
 * module's test-jar: dev-tools compares its event writer with them and replays scenarios through the topology.
 */
public final class RecordedMongoEvents {

    private static final ObjectMapper JSON = new ObjectMapper();

    private RecordedMongoEvents() {
    }

    /** Loads a recorded event: key and value as the JSON text the connector emits, plus the offset's token. */
    public static DebeziumMongoEventMapper.Event load(final String name) throws IOException {
        final JsonNode node = tree(name);
        return new DebeziumMongoEventMapper.Event(JSON.writeValueAsString(node.get("key")),
                JSON.writeValueAsString(node.get("value")),
                node.get("resumeToken").isNull() ? null : node.get("resumeToken").asText());
    }

    private static JsonNode tree(final String name) throws IOException {
        try (InputStream in = RecordedMongoEvents.class.getResourceAsStream("/mongodb-events/" + name + ".json")) {
            if (in == null) {
                throw new IOException("no recorded event mongodb-events/" + name + ".json");
            }
            return JSON.readTree(in);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Resume tokens. MongoDB key-string-encodes the token's fields so that its bytes compare in event order:
    // cluster time (type 0x82, then seconds and increment big-endian), version, token type, txnOpIndex,
    // fromInvalidate, collection UUID, event identifier ({operationType, documentKey}), end byte 0x04. Numbers use
    // the key-string numeric types: 0x29 zero, 0x2B + 1 byte, 0x2C + 2 bytes, the value shifted left by one.
    // Strings are 0x3C + bytes + 0x00, objects 0x46 + (type, name, value)* + 0x00, false is 0x6E.
    // ---------------------------------------------------------------------------------------------------------

    private static final String COLLECTION_UUID = "C2E3B1A04C7B9F1D2E3A4B5C6D7E8F90";

    /** Hex {@code _data} of an event's resume token (token version 2, event token type 128). */
    public static String tokenData(final long clusterTime, final int txnOpIndex, final String operationType,
                                   final int id) {
        final StringBuilder b = new StringBuilder(String.format("82%016X", clusterTime));
        b.append(number(2)).append(number(128)).append(number(txnOpIndex)).append("6E")
                .append("5A1004").append(COLLECTION_UUID)
                .append("46").append("3C").append(cString("operationType")).append("3C").append(cString(operationType))
                .append("46").append(cString("documentKey"))
                .append("46").append("1E").append(cString("_id")).append(number(id)).append("00")
                .append("00").append("04");
        return b.toString();
    }

    /** Hex {@code _data} of a high-water-mark token (token type 0): what a cursor reports with no event yet. */
    public static String highWaterMarkData(final long clusterTime) {
        return String.format("82%016X", clusterTime) + number(2) + number(0) + number(0) + "6E" + "04";
    }

    /** The token as Debezium 3.4 keeps it in the offset: base64 of the BSON document {@code {_data: hex}}. */
    public static String offsetToken(final String hexData) {
        return DebeziumMongoEventMapper.offsetToken(hexData);
    }

    private static String number(final long n) {
        if (n < 0 || n > 16383) {
            throw new IllegalArgumentException("only small non-negative numbers here: " + n);
        }
        return n == 0 ? "29" : n < 128 ? String.format("2B%02X", n << 1) : String.format("2C%04X", n << 1);
    }

    private static String cString(final String s) {
        return HexFormat.of().withUpperCase().formatHex(s.getBytes(StandardCharsets.UTF_8)) + "00";
    }

    // ---------------------------------------------------------------------------------------------------------
    // Scenarios
    // ---------------------------------------------------------------------------------------------------------

    /** Debezium's COMPACT_JSON_SETTINGS for documents: strict mode, one line. */
    private static final JsonWriterSettings DOCUMENT_JSON = JsonWriterSettings.builder().outputMode(JsonMode.STRICT)
            .indent(true).indentCharacters("").newLineCharacters("").build();

    /**
     * A {@code vehicle} collection's history, written twice: into {@link #collection()}, the documents as written
     * (the model a test compares with), and into {@link #events()}, the events Debezium 3.4.1 emits for it, in the
     * order it delivers them. The shapes follow the connector's source: {@code source.ts_ms} is the server's wall
     * time ({@code SourceInfo.timestamp()} prefers it), {@code source.ord} the cluster time increment, {@code lsid}
     * (compact JSON) and {@code txnNumber} inside transactions, and the offset holds the base64 token plus
     * {@code sec}/{@code ord}. Snapshot reads carry the offset of the snapshot's start: the cursor's post-batch
     * token, {@code sec}/{@code ord} -1, {@code source.ord} -1 and {@code ts_ms} the reading clock.
     *
     * <p>Every auto-committed operation and every transaction takes the next cluster time (one second apart, so
     * tests read easily); the events of one transaction share it and count {@code txnOpIndex} from 0.
     */
    public static final class Scenario {

        private final Map<Integer, Document> collection = new LinkedHashMap<>();
        private final List<DebeziumMongoEventMapper.Event> events = new ArrayList<>();
        private long seconds;
        private long txnNumber;
        private String snapshotToken;

        /** @param startSeconds cluster time seconds of the first operation */
        public Scenario(final long startSeconds) {
            this.seconds = startSeconds;
        }

        /** The documents as written, by _id. */
        public Map<Integer, Document> collection() {
            return collection;
        }

        /** The events Debezium delivered so far, in order. */
        public List<DebeziumMongoEventMapper.Event> events() {
            return events;
        }

        /** The cluster time the next operation gets. */
        public long nextClusterTime() {
            return DebeziumMongoEventMapper.sequence(seconds + 1, 1);
        }

        /** One auto-committed operation. */
        public Scenario autoCommit(final Consumer<Transaction> operation) {
            run(operation, false);
            return this;
        }

        /** One multi-document transaction: its operations share a cluster time. */
        public Scenario transaction(final Consumer<Transaction> operations) {
            run(operations, true);
            return this;
        }

        /** Writes without events: what the collection held before the capture started. */
        public Scenario existing(final int id, final Document document) {
            collection.put(id, withId(id, document));
            seconds++;
            return this;
        }

        /**
         * Starts the initial snapshot: Debezium opens a change stream, finds no event and keeps the cursor's
         * post-batch token (cluster time of now) as the snapshot's point; streaming resumes after it.
         */
        public Scenario startSnapshot() {
            seconds++;
            snapshotToken = offsetToken(highWaterMarkData(DebeziumMongoEventMapper.sequence(seconds, 0)));
            return this;
        }

        /** The snapshot reads a document now (as it currently is). */
        public Scenario snapshotRead(final int id) {
            final Document doc = collection.get(id);
            if (snapshotToken == null || doc == null) {
                throw new IllegalStateException("no snapshot started, or no document " + id);
            }
            final ObjectNode value = envelope("r", null, doc);
            final ObjectNode source = (ObjectNode) value.get("source");
            final long readAtMs = (seconds + 1) * 1000 + 500; // the reading clock: after the snapshot's point
            times(source, readAtMs);
            source.put("snapshot", "true");
            source.put("ord", -1);
            source.putNull("wallTime");
            value.put("ts_ms", readAtMs);
            events.add(new DebeziumMongoEventMapper.Event(key(id), value.toString(), snapshotToken, null));
            return this;
        }

        /** Delivers an event again (a replay after a restart, or a stream resumed from an older token). */
        public Scenario redeliver(final DebeziumMongoEventMapper.Event event) {
            events.add(event);
            return this;
        }

        private void run(final Consumer<Transaction> operations, final boolean inTransaction) {
            seconds++;
            final Transaction tx = new Transaction(DebeziumMongoEventMapper.sequence(seconds, 1),
                    inTransaction ? ++txnNumber : null);
            operations.accept(tx);
            if (!inTransaction && tx.opIndex > 1) {
                throw new IllegalStateException("an auto-committed operation writes one document");
            }
        }

        /** Operations of one commit. */
        public final class Transaction {
            private final long clusterTime;
            private final Long number;
            private int opIndex;

            private Transaction(final long clusterTime, final Long number) {
                this.clusterTime = clusterTime;
                this.number = number;
            }

            public Transaction insert(final int id, final Document document) {
                if (collection.containsKey(id)) {
                    throw new IllegalStateException("duplicate key " + id);
                }
                final Document doc = withId(id, document);
                collection.put(id, doc);
                emit("c", "insert", id, doc);
                return this;
            }

            /** A {@code $set} of the given fields; the event carries the looked-up full document. */
            public Transaction update(final int id, final Document set) {
                final Document doc = new Document(collection.get(id));
                doc.putAll(set);
                collection.put(id, doc);
                emit("u", "update", id, doc);
                return this;
            }

            public Transaction delete(final int id) {
                collection.remove(id);
                emit("d", "delete", id, null);
                return this;
            }

            private void emit(final String op, final String operationType, final int id, final Document after) {
                final String data = tokenData(clusterTime, number == null ? 0 : opIndex, operationType, id);
                opIndex++;
                final ObjectNode value = envelope(op, null, after);
                final ObjectNode source = (ObjectNode) value.get("source");
                final long wallTimeMs = (clusterTime >>> 32) * 1000 + 7;
                times(source, wallTimeMs);
                source.put("ord", (int) clusterTime);
                source.put("wallTime", wallTimeMs);
                if (number != null) {
                    source.put("lsid", "{\"id\": {\"$binary\": \"q83vEjRWeJA=\", \"$type\": \"04\"}, \"uid\": "
                            + "{\"$binary\": \"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\", \"$type\": \"00\"}}");
                    source.put("txnNumber", number);
                }
                if (op.equals("u")) {
                    final Document set = new Document(after);
                    set.remove("_id");
                    ((ObjectNode) value.putObject("updateDescription")).putNull("removedFields")
                            .put("updatedFields", set.toJson(DOCUMENT_JSON)).putNull("truncatedArrays");
                }
                value.put("ts_ms", wallTimeMs + 30);
                events.add(new DebeziumMongoEventMapper.Event(key(id), value.toString(), offsetToken(data),
                        clusterTime));
            }
        }

        private static Document withId(final int id, final Document document) {
            final Document doc = new Document("_id", id);
            document.forEach((k, v) -> {
                if (!k.equals("_id")) {
                    doc.append(k, v);
                }
            });
            return doc;
        }

        private static String key(final int id) {
            return "{\"id\":\"" + id + "\"}";
        }

        private static void times(final ObjectNode source, final long ms) {
            source.put("ts_ms", ms);
            source.put("ts_us", ms * 1000);
            source.put("ts_ns", ms * 1_000_000);
        }

        /** The recorded insert as the template of every event's envelope. */
        private static ObjectNode envelope(final String op, final Document before, final Document after) {
            final ObjectNode value;
            try {
                value = (ObjectNode) tree("insert").get("value").deepCopy();
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
            value.put("before", before == null ? null : before.toJson(DOCUMENT_JSON));
            value.put("after", after == null ? null : after.toJson(DOCUMENT_JSON));
            value.putNull("updateDescription");
            value.put("op", op);
            return value;
        }
    }
}
