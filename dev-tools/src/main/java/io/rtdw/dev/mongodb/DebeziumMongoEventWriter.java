package io.rtdw.dev.mongodb;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rtdw.cdc.mongodb.DebeziumMongoEventMapper;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.codecs.configuration.CodecRegistry;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;

import java.util.Objects;

/**
 * Writes change events in the shape Debezium's MongoDB connector (3.4) emits, for places where no MongoDB runs:
 * the workload generator's "no MongoDB" mode and the local stack. The output is what
 * {@link DebeziumMongoEventMapper} reads, and what a real connector produces for the same change: documents as
 * extended JSON text in Debezium's own writer settings (legacy strict mode, one line), the key as
 * {@code {"id": "<_id as JSON>"}}, the server's wall time in {@code source.ts_ms} (Debezium 3.4 prefers it to the
 * cluster time), the cluster time's increment in {@code source.ord}, and a resume token that encodes the cluster
 * time like MongoDB's does (prefix {@code 82}, seconds, increment), given as Debezium 3.4 keeps it in the offset:
 * base64 of the BSON document {@code {_data: "<hex>"}}.
 */
public final class DebeziumMongoEventWriter {

    /** Debezium's {@code JsonSerialization.COMPACT_JSON_SETTINGS}: strict mode, indent on with empty characters. */
    private static final JsonWriterSettings DOCUMENT_JSON = JsonWriterSettings.builder().outputMode(JsonMode.STRICT)
            .indent(true).indentCharacters("").newLineCharacters("").build();
    /** Debezium's {@code SIMPLE_JSON_SETTINGS}, used for the key's _id. */
    private static final JsonWriterSettings KEY_JSON = JsonWriterSettings.builder().outputMode(JsonMode.RELAXED)
            .indent(true).indentCharacters("").newLineCharacters("").build();
    private static final CodecRegistry CODECS = com.mongodb.MongoClientSettings.getDefaultCodecRegistry();
    private static final String COLLECTION_UUID = "6E5A1004C2E3B1A04C7B9F1D2E3A4B5C";

    /** The kinds of change stream events. A replace is reported by Debezium as an update ({@code op=u}). */
    public enum Kind { INSERT, UPDATE, REPLACE, DELETE, READ }

    private final String serverName;
    private final String database;
    private final String collection;

    /**
     * @param serverName Debezium {@code topic.prefix}
     * @param database   MongoDB database
     * @param collection collection name ({@code vehicle})
     */
    public DebeziumMongoEventWriter(final String serverName, final String database, final String collection) {
        this.serverName = Objects.requireNonNull(serverName);
        this.database = Objects.requireNonNull(database);
        this.collection = Objects.requireNonNull(collection);
    }

    /**
     * One event.
     *
     * @param kind          what happened
     * @param id            the document's _id
     * @param before        pre-image (only when the collection records pre-images), may be null
     * @param after         full document after the change (null for deletes)
     * @param updatedFields for updates: the {@code $set} fields, may be null
     * @param clusterSecs   cluster time seconds
     * @param increment     cluster time increment (ordinal within the second)
     * @param wallTimeMs    server wall time of the commit
     */
    public DebeziumMongoEventMapper.Event event(final Kind kind, final int id, final Document before,
                                                final Document after, final Document updatedFields,
                                                final long clusterSecs, final int increment, final long wallTimeMs) {
        final ObjectNode value = JsonNodeFactory.instance.objectNode();
        value.put("before", before == null ? null : toJson(before));
        value.put("after", after == null ? null : toJson(after));
        if (kind == Kind.UPDATE && updatedFields != null) {
            final ObjectNode description = value.putObject("updateDescription");
            description.putNull("removedFields");
            description.put("updatedFields", toJson(updatedFields));
            description.putNull("truncatedArrays");
        } else {
            value.putNull("updateDescription");
        }
        final ObjectNode source = value.putObject("source");
        source.put("version", "3.4.1.Final");
        source.put("connector", "mongodb");
        source.put("name", serverName);
        source.put("ts_ms", wallTimeMs);
        source.put("snapshot", kind == Kind.READ ? "true" : "false");
        source.put("db", database);
        source.putNull("sequence");
        source.put("ts_us", wallTimeMs * 1_000);
        source.put("ts_ns", wallTimeMs * 1_000_000);
        source.put("collection", collection);
        source.put("ord", increment);
        source.putNull("lsid");
        source.putNull("txnNumber");
        source.put("wallTime", wallTimeMs);
        value.putNull("transaction");
        value.put("op", switch (kind) {
            case INSERT -> "c";
            case UPDATE, REPLACE -> "u";
            case DELETE -> "d";
            case READ -> "r";
        });
        value.put("ts_ms", wallTimeMs);
        final String keyId = new BsonDocument("_", new BsonInt32(id)).toJson(KEY_JSON);
        final ObjectNode key = JsonNodeFactory.instance.objectNode();
        // {"_": 7} -> "7": Debezium strips the wrapper the same way.
        key.put("id", keyId.substring(keyId.indexOf(':') + 1, keyId.length() - 1).trim());
        return new DebeziumMongoEventMapper.Event(key.toString(), value.toString(), resumeToken(clusterSecs, increment));
    }

    /**
     * A resume token as Debezium 3.4's offset holds it: base64 of {@code {_data: hex}}, the hex starting like
     * MongoDB's: {@code 82}, cluster seconds, increment.
     */
    public static String resumeToken(final long clusterSecs, final int increment) {
        final String data = String.format("82%08X%08X2B042C0100296E5A1004%s463C5F6964003C0004", clusterSecs,
                increment, COLLECTION_UUID);
        return DebeziumMongoEventMapper.offsetToken(data);
    }

    private static String toJson(final Document doc) {
        final BsonValue bson = doc.toBsonDocument(BsonDocument.class, CODECS);
        return bson.asDocument().toJson(DOCUMENT_JSON);
    }
}
