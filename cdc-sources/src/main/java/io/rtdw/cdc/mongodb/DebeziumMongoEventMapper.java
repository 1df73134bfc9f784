package io.rtdw.cdc.mongodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.engine.MappedChange;
import io.rtdw.cdc.engine.UnmappableChangeException;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.schemas.Vehicle;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.json.JsonParseException;

import java.io.IOException;
import java.util.Objects;
import java.util.Optional;

/**
 * Turns Debezium MongoDB connector change events, in the JSON shape the connector emits, into
 * {@link VehicleChange} records. Public API: the local stack uses it to produce vehicle changes "in Debezium's
 * MongoDB event shape" when no MongoDB is available, and the capture process uses it for the real connector.
 *
 * <p>The shape (Debezium 3.4 MongoDB connector, {@code JsonConverter} with {@code schemas.enable=false}; a
 * {@code {"schema":..,"payload":..}} envelope is unwrapped too):
 * <pre>
 * key:   {"id": "7"}                                   (the _id as extended JSON text)
 * value: {"before": null | "&lt;document as extended JSON&gt;",   (only with pre-images)
 *         "after":  null | "&lt;document as extended JSON&gt;",   (full document; null for deletes)
 *         "updateDescription": null | {...},
 *         "source": {"connector":"mongodb","db":..,"collection":..,"ts_ms":&lt;cluster time s * 1000&gt;,
 *                    "ord":&lt;increment&gt;,"snapshot":"false","lsid":..,"txnNumber":..,"wallTime":..},
 *         "op": "c" | "u" | "d" | "r", "ts_ms": ..}
 * </pre>
 * and the resume token, which Debezium keeps in the record's source offset ({@code resume_token}), not in the
 * value. A MongoDB replace arrives as {@code op=u} with the new full document.
 *
 * <p>Mapping: {@code sequence} = cluster time {@code seconds << 32 | increment} (grows with commit order),
 * {@code position} = resume token, {@code commit_ts_ms} = {@code wallTime} when the server sends it (ms precision),
 * else the cluster time. Thread-safe.
 */
public final class DebeziumMongoEventMapper {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One Debezium MongoDB event.
     *
     * @param keyJson     the record key as JSON ({@code {"id":"7"}})
     * @param valueJson   the record value as JSON (null for a tombstone)
     * @param resumeToken the change stream resume token from the source offset (hex {@code _data}); may be null
     */
    public record Event(String keyJson, String valueJson, String resumeToken) {
    }

    private final TopicCatalog catalog;

    public DebeziumMongoEventMapper(final TopicCatalog catalog) {
        this.catalog = Objects.requireNonNull(catalog);
    }

    /**
     * Maps one event. Empty for tombstones and for an update whose full document could not be looked up because
     * the document was deleted in the meantime (its delete event follows in the stream).
     *
     * @throws UnmappableChangeException when the event or the document breaks the contract
     */
    public Optional<MappedChange<VehicleKey, VehicleChange>> map(final Event event) {
        if (event.valueJson() == null) {
            return Optional.empty();
        }
        final JsonNode value = unwrap(parse(event.valueJson(), "value"));
        final JsonNode source = value.path("source");
        final Op op = switch (value.path("op").asText("")) {
            case "c" -> Op.CREATE;
            case "u" -> Op.UPDATE;
            case "d" -> Op.DELETE;
            case "r" -> Op.READ;
            default -> throw new UnmappableChangeException("unknown op '" + value.path("op").asText() + "'");
        };
        final Vehicle before = document(value.path("before"), "before");
        final Vehicle after = document(value.path("after"), "after");
        if (op != Op.DELETE && after == null) {
            if (op == Op.UPDATE) {
                return Optional.empty();
            }
            throw new UnmappableChangeException(op + " event without 'after' document");
        }
        final int id = key(event.keyJson(), op == Op.DELETE ? before : after);
        final SourceInfo info = sourceInfo(source, event.resumeToken());
        final VehicleChange change = VehicleChange.newBuilder().setOp(op)
                .setBefore(before).setAfter(op == Op.DELETE ? null : after).setSource(info).build();
        return Optional.of(new MappedChange<>(catalog.vehicles(), new VehicleKey(id), change, info.getCommitTsMs(),
                info.getPosition()));
    }

    /** Cluster time as a sequence: {@code seconds << 32 | increment}. */
    public static long sequence(final long clusterTimeSeconds, final int increment) {
        return (clusterTimeSeconds << 32) | (increment & 0xFFFFFFFFL);
    }

    private static JsonNode parse(final String json, final String what) {
        try {
            return JSON.readTree(json);
        } catch (final IOException e) {
            throw new UnmappableChangeException(what + " is not JSON: " + e.getMessage(), e);
        }
    }

    private static JsonNode unwrap(final JsonNode node) {
        return node.has("payload") && node.has("schema") ? node.get("payload") : node;
    }

    private static SourceInfo sourceInfo(final JsonNode source, final String resumeToken) {
        if (!source.path("ts_ms").canConvertToLong()) {
            throw new UnmappableChangeException("event has no source.ts_ms (cluster time)");
        }
        final long seconds = source.get("ts_ms").asLong() / 1000;
        final int increment = source.path("ord").asInt(0);
        final JsonNode wallTime = source.path("wallTime");
        final long commitTsMs = wallTime.canConvertToLong() && !wallTime.isNull() ? wallTime.asLong()
                : source.get("ts_ms").asLong();
        final String txnNumber = source.path("txnNumber").isNumber() ? source.get("txnNumber").asText() : null;
        final String lsid = source.path("lsid").isTextual() ? source.get("lsid").asText() : null;
        return SourceInfo.newBuilder()
                .setConnector("mongodb")
                .setDb(source.path("db").asText(""))
                .setTable(source.path("collection").asText("vehicle"))
                .setCommitTsMs(commitTsMs)
                // Without a token (some snapshot records), the cluster time still names the position.
                .setPosition(resumeToken != null ? resumeToken : "clusterTime:" + seconds + ":" + increment)
                .setSequence(sequence(seconds, increment))
                .setSnapshot(isSnapshot(source.path("snapshot")))
                .setTxId(txnNumber == null ? null : (lsid == null ? txnNumber : lsid + ":" + txnNumber))
                .build();
    }

    private static boolean isSnapshot(final JsonNode snapshot) {
        if (snapshot.isBoolean()) {
            return snapshot.asBoolean();
        }
        final String s = snapshot.asText("false");
        return !s.isEmpty() && !"false".equals(s);
    }

    private static int key(final String keyJson, final Vehicle image) {
        if (keyJson != null) {
            final JsonNode key = unwrap(parse(keyJson, "key"));
            final JsonNode id = key.get("id");
            if (id != null && !id.isNull()) {
                // Debezium writes the _id as extended JSON text: "7", "{\"$numberLong\": \"7\"}", "{\"$oid\": ..}".
                final String text = id.isTextual() ? id.asText() : id.toString();
                return intValue(parseBson("{\"v\": " + text + "}", "key").get("v"), "key _id");
            }
        }
        if (image == null) {
            throw new UnmappableChangeException("event has neither a key nor a document to take the _id from");
        }
        return image.getId();
    }

    private static Vehicle document(final JsonNode node, final String what) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        final BsonDocument doc = parseBson(node.isTextual() ? node.asText() : node.toString(), what);
        try {
            return Vehicle.newBuilder()
                    .setId(intValue(doc.get("_id"), what + "._id"))
                    .setCustomerId(intValue(doc.get("customer_id"), what + ".customer_id"))
                    .setAnoModelo(stringValue(doc.get("ano_modelo"), what + ".ano_modelo"))
                    .setModelo(stringValue(doc.get("modelo"), what + ".modelo"))
                    .setFabricante(stringValue(doc.get("fabricante"), what + ".fabricante"))
                    .setAnoVeiculo(doc.get("ano_veiculo") == null || doc.get("ano_veiculo").isNull() ? null
                            : intValue(doc.get("ano_veiculo"), what + ".ano_veiculo"))
                    .setCategoria(stringValue(doc.get("categoria"), what + ".categoria"))
                    .setDtUpdate(dateValue(doc.get("dt_update"), what + ".dt_update"))
                    .build();
        } catch (final UnmappableChangeException e) {
            throw e;
        } catch (final RuntimeException e) {
            throw new UnmappableChangeException(what + ": " + e.getMessage(), e);
        }
    }

    private static BsonDocument parseBson(final String json, final String what) {
        try {
            return BsonDocument.parse(json);
        } catch (final JsonParseException | org.bson.BsonInvalidOperationException e) {
            throw new UnmappableChangeException(what + " is not extended JSON: " + e.getMessage(), e);
        }
    }

    private static int intValue(final BsonValue v, final String what) {
        if (v == null || v.isNull()) {
            throw new UnmappableChangeException(what + " is missing");
        }
        if (v.isInt32()) {
            return v.asInt32().getValue();
        }
        if (v.isInt64() && v.asInt64().getValue() == (int) v.asInt64().getValue()) {
            return (int) v.asInt64().getValue();
        }
        if (v.isDouble() && v.asDouble().getValue() == Math.rint(v.asDouble().getValue())
                && Math.abs(v.asDouble().getValue()) <= Integer.MAX_VALUE) {
            return (int) v.asDouble().getValue(); // shells write numbers as doubles
        }
        throw new UnmappableChangeException(what + " must be an integer, was " + v.getBsonType() + " " + v);
    }

    private static String stringValue(final BsonValue v, final String what) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isString()) {
            return v.asString().getValue();
        }
        throw new UnmappableChangeException(what + " must be a string, was " + v.getBsonType() + " " + v);
    }

    private static java.time.Instant dateValue(final BsonValue v, final String what) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isDateTime()) {
            return java.time.Instant.ofEpochMilli(v.asDateTime().getValue());
        }
        throw new UnmappableChangeException(what + " must be a date, was " + v.getBsonType() + " " + v);
    }
}
