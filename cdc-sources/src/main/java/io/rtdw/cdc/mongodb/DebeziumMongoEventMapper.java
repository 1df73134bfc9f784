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
 *         "source": {"connector":"mongodb","db":..,"collection":..,"ts_ms":&lt;wallTime, else cluster time&gt;,
 *                    "ord":&lt;cluster time increment&gt;,"snapshot":"false","lsid":..,"txnNumber":..,"wallTime":..},
 *         "op": "c" | "u" | "d" | "r", "ts_ms": ..}
 * </pre>
 * and the resume token, which Debezium keeps in the record's source offset ({@code resume_token}), not in the
 * value: Debezium 3.4 writes it as base64 of the BSON token document {@code {_data: "<hex>"}}, older versions as the
 * bare hex {@code _data}; both are read. A MongoDB replace arrives as {@code op=u} with the new full document.
 *
 * <p>Source order (see {@code SourceInfo.avsc} and cdc-sources/README):
 * <ul>
 *   <li>{@code commit_sequence} = the cluster time ({@code seconds << 32 | increment}) taken from the resume token
 *       (its first bytes; {@code source.ts_ms} is the wall time when the server sends one, so it cannot serve). Every
 *       event of one multi-document transaction has the transaction's commit cluster time;</li>
 *   <li>{@code change_order} = the resume token's {@code _data} in upper-case hex: MongoDB key-string-encodes the
 *       token so that bytes compare in event order (cluster time, then the operation's index within its
 *       transaction), and upper-case hex compares like the bytes;</li>
 *   <li>snapshot reads: {@code commit_sequence} = the cluster time the snapshot started at (the token or cluster
 *       time Debezium records in the offset before reading), {@code change_order} empty;</li>
 *   <li>{@code epoch} = given at construction ({@code mongodb:<replica set id>[:<label>]}, see {@link #epoch}).</li>
 * </ul>
 * {@code sequence} keeps the cluster time (informational), {@code position} the hex token, {@code commit_ts_ms} is
 * {@code wallTime} when the server sends it (ms precision), else {@code source.ts_ms}.
 *
 * <p>A document whose {@code customer_id} is missing or not an int cannot be mapped, but the SQL join no longer has
 * that vehicle under any customer: the {@link UnmappableChangeException} carries a DELETE of the vehicle at the
 * event's position ({@link UnmappableChangeException#retraction()}), produced with the dead letter. A pre-image
 * ({@code before}) that cannot be mapped is left out (null) instead of failing the change: the change's meaning is
 * its op, key and {@code after}. Thread-safe.
 */
public final class DebeziumMongoEventMapper {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One Debezium MongoDB event.
     *
     * @param keyJson           the record key as JSON ({@code {"id":"7"}})
     * @param valueJson         the record value as JSON (null for a tombstone)
     * @param resumeToken       the source offset's {@code resume_token}: base64 of the BSON token document (Debezium
     *                          3.4) or the hex {@code _data}; may be null
     * @param offsetClusterTime the source offset's cluster time ({@code sec}, {@code ord}) as
     *                          {@code seconds << 32 | increment}, used when there is no token; may be null
     */
    public record Event(String keyJson, String valueJson, String resumeToken, Long offsetClusterTime) {

        /** An event whose offset gave only its resume token. */
        public Event(final String keyJson, final String valueJson, final String resumeToken) {
            this(keyJson, valueJson, resumeToken, null);
        }
    }

    /** First byte of a resume token's {@code _data}: the key-string type of the cluster time (a BSON timestamp). */
    private static final int TIMESTAMP_TYPE = 0x82;

    private final TopicCatalog catalog;
    private final String epoch;

    /** A mapper whose changes carry no epoch (tools and the Kafka Connect converter, which cannot ask the server). */
    public DebeziumMongoEventMapper(final TopicCatalog catalog) {
        this(catalog, "");
    }

    /**
     * @param epoch the source history the changes belong to, {@link #epoch(String, String)}; empty for none
     */
    public DebeziumMongoEventMapper(final TopicCatalog catalog, final String epoch) {
        this.catalog = Objects.requireNonNull(catalog);
        this.epoch = Objects.requireNonNull(epoch, "epoch");
    }

    /**
     * The epoch of a replica set's changes: {@code mongodb:<replica set id>}, plus {@code :<label>} when the
     * operator set one (RTDW_CDC_EPOCH, after restoring a backup into the same replica set).
     *
     * @param replicaSetId the replica set config's {@code settings.replicaSetId} (hex)
     * @param label        the operator's label; null or blank for none
     */
    public static String epoch(final String replicaSetId, final String label) {
        if (replicaSetId == null || replicaSetId.isBlank()) {
            throw new IllegalArgumentException("replica set id is required");
        }
        return "mongodb:" + replicaSetId + (label == null || label.isBlank() ? "" : ":" + label.trim());
    }

    /** The epoch this mapper's changes carry. */
    public String epoch() {
        return epoch;
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
        final Vehicle before = preImage(value.path("before"));
        final BsonDocument afterDoc = bson(value.path("after"), "after");
        if (op != Op.DELETE && afterDoc == null) {
            if (op == Op.UPDATE) {
                return Optional.empty();
            }
            throw new UnmappableChangeException(op + " event without 'after' document");
        }
        final SourceInfo info = sourceInfo(source, event, op == Op.READ);
        final Vehicle after;
        try {
            after = op == Op.DELETE ? null : vehicle(afterDoc, "after");
        } catch (final BadCustomerIdException e) {
            final MappedChange<VehicleKey, VehicleChange> retraction = delete(event.keyJson(), afterDoc, before, info);
            throw new UnmappableChangeException(e.getMessage() + (retraction == null ? ""
                    : "; the vehicle leaves its customer (DELETE at " + info.getPosition() + ")"), null)
                    .withRetraction(retraction);
        }
        final int id = key(event.keyJson(), op == Op.DELETE ? before : after);
        final VehicleChange change = VehicleChange.newBuilder().setOp(op)
                .setBefore(before).setAfter(after).setSource(info).build();
        return Optional.of(new MappedChange<>(catalog.vehicles(), new VehicleKey(id), change, info.getCommitTsMs(),
                info.getPosition()));
    }

    /**
     * The DELETE a document with an unusable customer_id implies, at the event's position; null when the event does
     * not even name its vehicle (no key, no usable _id).
     */
    private MappedChange<VehicleKey, VehicleChange> delete(final String keyJson, final BsonDocument afterDoc,
                                                           final Vehicle before, final SourceInfo info) {
        final int id;
        try {
            id = keyJson != null ? key(keyJson, null) : intValue(afterDoc.get("_id"), "after._id");
        } catch (final UnmappableChangeException e) {
            return null;
        }
        final VehicleChange change = VehicleChange.newBuilder().setOp(Op.DELETE).setBefore(before).setAfter(null)
                .setSource(info).build();
        return new MappedChange<>(catalog.vehicles(), new VehicleKey(id), change, info.getCommitTsMs(),
                info.getPosition());
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

    private SourceInfo sourceInfo(final JsonNode source, final Event event, final boolean read) {
        final String token = tokenData(event.resumeToken());
        final long clusterTime = clusterTime(token, event.offsetClusterTime(), source);
        final JsonNode wallTime = source.path("wallTime");
        final long commitTsMs = wallTime.canConvertToLong() && !wallTime.isNull() ? wallTime.asLong()
                : source.path("ts_ms").canConvertToLong() ? source.get("ts_ms").asLong()
                : (clusterTime >>> 32) * 1000;
        final String txnNumber = source.path("txnNumber").isNumber() ? source.get("txnNumber").asText() : null;
        final String lsid = source.path("lsid").isTextual() ? source.get("lsid").asText() : null;
        final boolean snapshot = read || isSnapshot(source.path("snapshot"));
        return SourceInfo.newBuilder()
                .setConnector("mongodb")
                .setDb(source.path("db").asText(""))
                .setTable(source.path("collection").asText("vehicle"))
                .setCommitTsMs(commitTsMs)
                // Without a token, the cluster time still names the position.
                .setPosition(token != null ? token
                        : "clusterTime:" + (clusterTime >>> 32) + ":" + (clusterTime & 0xFFFFFFFFL))
                .setSequence(clusterTime)
                .setSnapshot(snapshot)
                .setTxId(txnNumber == null ? null : (lsid == null ? txnNumber : lsid + ":" + txnNumber))
                .setEpoch(epoch)
                .setCommitSequence(clusterTime)
                // A snapshot row sits at the snapshot's start point, before every change committed at it.
                .setChangeOrder(snapshot || token == null ? "" : token)
                .build();
    }

    /**
     * The cluster time of the event: from the resume token (exact), else from the offset's {@code sec}/{@code ord},
     * else from {@code source.ts_ms}/{@code ord} (exact only when the server sent no wall time).
     */
    private static long clusterTime(final String token, final Long offsetClusterTime, final JsonNode source) {
        if (token != null) {
            return tokenClusterTime(token);
        }
        if (offsetClusterTime != null) {
            return offsetClusterTime;
        }
        if (!source.path("ts_ms").canConvertToLong()) {
            throw new UnmappableChangeException("event has neither a resume token nor source.ts_ms");
        }
        return sequence(source.get("ts_ms").asLong() / 1000, Math.max(0, source.path("ord").asInt(0)));
    }

    /**
     * The hex {@code _data} of a resume token as the offset holds it (base64 BSON document, Debezium 3.4; or the
     * hex string itself), upper-case; null for null.
     */
    public static String tokenData(final String resumeToken) {
        if (resumeToken == null || resumeToken.isEmpty()) {
            return null;
        }
        if (resumeToken.length() % 2 == 0 && resumeToken.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            return resumeToken.toUpperCase(java.util.Locale.ROOT);
        }
        final BsonValue data;
        try {
            data = new org.bson.RawBsonDocument(java.util.Base64.getDecoder().decode(resumeToken)).get("_data");
        } catch (final RuntimeException e) {
            throw new UnmappableChangeException("resume token is neither hex nor base64 BSON: " + resumeToken, e);
        }
        if (data != null && data.isString()) {
            return data.asString().getValue().toUpperCase(java.util.Locale.ROOT);
        }
        if (data != null && data.isBinary()) {
            return java.util.HexFormat.of().withUpperCase().formatHex(data.asBinary().getData());
        }
        throw new UnmappableChangeException("resume token has no _data: " + resumeToken);
    }

    /**
     * The inverse of {@link #tokenData}: a token's hex {@code _data} as Debezium 3.4 keeps it in the offset, base64
     * of the BSON document {@code {_data: hex}} (its {@code ResumeTokens.toBase64}).
     */
    public static String offsetToken(final String hexData) {
        final BsonDocument token = new BsonDocument("_data", new org.bson.BsonString(hexData));
        final org.bson.ByteBuf bson = new org.bson.RawBsonDocument(token, new org.bson.codecs.BsonDocumentCodec())
                .getByteBuffer();
        final byte[] bytes = new byte[bson.remaining()];
        bson.get(bytes);
        return java.util.Base64.getEncoder().encodeToString(bytes);
    }

    /** The cluster time a resume token starts with ({@code 82}, then seconds and increment, big-endian). */
    static long tokenClusterTime(final String hexData) {
        if (hexData.length() < 18 || Integer.parseInt(hexData.substring(0, 2), 16) != TIMESTAMP_TYPE) {
            throw new UnmappableChangeException("resume token does not start with a cluster time: " + hexData);
        }
        return Long.parseUnsignedLong(hexData.substring(2, 18), 16);
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

    private static BsonDocument bson(final JsonNode node, final String what) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        return parseBson(node.isTextual() ? node.asText() : node.toString(), what);
    }

    /** The pre-image, or null when there is none or it cannot be mapped (it does not decide the change). */
    private static Vehicle preImage(final JsonNode node) {
        try {
            final BsonDocument doc = bson(node, "before");
            return doc == null ? null : vehicle(doc, "before");
        } catch (final UnmappableChangeException | BadCustomerIdException e) {
            return null;
        }
    }

    /** A customer_id that is missing or not an int: the vehicle is under no customer in the SQL join. */
    private static final class BadCustomerIdException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadCustomerIdException(final UnmappableChangeException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private static Vehicle vehicle(final BsonDocument doc, final String what) {
        final int customerId;
        try {
            customerId = intValue(doc.get("customer_id"), what + ".customer_id");
        } catch (final UnmappableChangeException e) {
            throw new BadCustomerIdException(e);
        }
        try {
            return Vehicle.newBuilder()
                    .setId(intValue(doc.get("_id"), what + "._id"))
                    .setCustomerId(customerId)
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
