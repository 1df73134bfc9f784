package io.rtdw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.LogicalType;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Avro data as JSON a person and {@code jq} can read, and back.
 *
 * <p>The JSON is not Avro's own JSON encoding: a union's value is written as the value itself (no
 * {@code {"string": ...}} wrapper), and logical types are readable text:
 * <ul>
 *   <li>{@code date}: {@code "2024-03-01"};</li>
 *   <li>{@code timestamp-millis}, {@code timestamp-micros}: an ISO-8601 instant in UTC, {@code "2024-03-01T12:00:00.123Z"}
 *       ({@link Instant#toString()}: the fraction is left out when it is zero);</li>
 *   <li>{@code local-timestamp-millis}, {@code local-timestamp-micros}: an ISO-8601 date-time without zone,
 *       {@code "2024-03-01T12:00:00.123456"} (the source's wall clock, as the column has no zone; seconds always
 *       written, the fraction only when it is not zero, with as many digits as it needs);</li>
 *   <li>{@code time-millis}, {@code time-micros}: {@code "12:00:00.123"};</li>
 *   <li>bytes and fixed: base64 (RFC 4648, with padding); enums: the symbol.</li>
 * </ul>
 * {@link #fromJson} reads the same conventions (and also plain numbers for logical types), strictly: an unknown
 * field, a missing field without default or a value of the wrong type is an error naming the field's path.
 */
final class AvroJson {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    /** Always with seconds ({@code LocalDateTime.toString()} leaves out ":00"); the fraction only when not zero. */
    private static final DateTimeFormatter LOCAL_DATE_TIME = DateTimeFormatter.ISO_LOCAL_DATE_TIME;
    private static final DateTimeFormatter LOCAL_TIME = DateTimeFormatter.ISO_LOCAL_TIME;

    private AvroJson() {
    }

    /** {@code datum} (a generic or specific record, or any Avro value) of schema {@code schema} as JSON. */
    static JsonNode toJson(final Object datum, final Schema schema) {
        if (datum == null) {
            return JSON.nullNode();
        }
        switch (schema.getType()) {
            case RECORD: {
                final IndexedRecord record = (IndexedRecord) datum;
                final ObjectNode node = JSON.objectNode();
                for (final Schema.Field field : record.getSchema().getFields()) {
                    final Schema.Field own = schema.getField(field.name());
                    node.set(field.name(), toJson(record.get(field.pos()), own == null ? field.schema() : own.schema()));
                }
                return node;
            }
            case UNION:
                for (final Schema branch : schema.getTypes()) {
                    if (branch.getType() != Schema.Type.NULL && fits(datum, branch)) {
                        return toJson(datum, branch);
                    }
                }
                throw new IllegalArgumentException("value of " + datum.getClass().getName() + " fits no branch of "
                        + schema);
            case STRING:
                return JSON.textNode(datum.toString());
            case INT:
                return intJson(datum, schema.getLogicalType());
            case LONG:
                return longJson(datum, schema.getLogicalType());
            case BOOLEAN:
                return JSON.booleanNode((Boolean) datum);
            case FLOAT:
                return JSON.numberNode((Float) datum);
            case DOUBLE:
                return JSON.numberNode((Double) datum);
            case BYTES:
                return JSON.textNode(base64(datum));
            case FIXED:
                return JSON.textNode(Base64.getEncoder().encodeToString(((GenericFixed) datum).bytes()));
            case ENUM:
                return JSON.textNode(datum.toString());
            case ARRAY: {
                final ArrayNode array = JSON.arrayNode();
                for (final Object item : (Collection<?>) datum) {
                    array.add(toJson(item, schema.getElementType()));
                }
                return array;
            }
            case MAP: {
                final ObjectNode node = JSON.objectNode();
                ((Map<?, ?>) datum).forEach((k, v) -> node.set(k.toString(), toJson(v, schema.getValueType())));
                return node;
            }
            case NULL:
                return JSON.nullNode();
            default:
                throw new IllegalArgumentException("unsupported Avro type " + schema.getType());
        }
    }

    /** A record's own schema: {@code toJson(record, record.getSchema())}. */
    static JsonNode toJson(final IndexedRecord record) {
        return toJson(record, record.getSchema());
    }

    static String base64(final Object bytes) {
        if (bytes instanceof byte[] array) {
            return Base64.getEncoder().encodeToString(array);
        }
        final ByteBuffer buffer = ((ByteBuffer) bytes).duplicate();
        final byte[] copy = new byte[buffer.remaining()];
        buffer.get(copy);
        return Base64.getEncoder().encodeToString(copy);
    }

    private static JsonNode intJson(final Object datum, final LogicalType logical) {
        if (datum instanceof LocalDate date) {
            return JSON.textNode(date.toString());
        }
        if (datum instanceof LocalTime time) {
            return JSON.textNode(LOCAL_TIME.format(time));
        }
        final int value = (Integer) datum;
        if (logical == null) {
            return JSON.numberNode(value);
        }
        return switch (logical.getName()) {
            case "date" -> JSON.textNode(LocalDate.ofEpochDay(value).toString());
            case "time-millis" -> JSON.textNode(LOCAL_TIME.format(LocalTime.ofNanoOfDay(value * 1_000_000L)));
            default -> JSON.numberNode(value);
        };
    }

    private static JsonNode longJson(final Object datum, final LogicalType logical) {
        if (datum instanceof Instant instant) {
            return JSON.textNode(instant.toString());
        }
        if (datum instanceof LocalDateTime dateTime) {
            return JSON.textNode(LOCAL_DATE_TIME.format(dateTime));
        }
        if (datum instanceof LocalTime time) {
            return JSON.textNode(LOCAL_TIME.format(time));
        }
        final long value = (Long) datum;
        if (logical == null) {
            return JSON.numberNode(value);
        }
        return switch (logical.getName()) {
            case "timestamp-millis" -> JSON.textNode(Instant.ofEpochMilli(value).toString());
            case "timestamp-micros" -> JSON.textNode(Instant.EPOCH.plus(value, ChronoUnit.MICROS).toString());
            case "local-timestamp-millis" -> JSON.textNode(LOCAL_DATE_TIME.format(LocalDateTime.ofEpochSecond(
                    Math.floorDiv(value, 1000L), (int) Math.floorMod(value, 1000L) * 1_000_000, ZoneOffset.UTC)));
            case "local-timestamp-micros" -> JSON.textNode(LOCAL_DATE_TIME.format(LocalDateTime.ofEpochSecond(
                    Math.floorDiv(value, 1_000_000L), (int) Math.floorMod(value, 1_000_000L) * 1000,
                    ZoneOffset.UTC)));
            case "time-micros" -> JSON.textNode(LOCAL_TIME.format(LocalTime.ofNanoOfDay(value * 1000L)));
            default -> JSON.numberNode(value);
        };
    }

    /** Whether {@code datum} is a value of {@code branch} (to pick a union's branch). */
    private static boolean fits(final Object datum, final Schema branch) {
        return switch (branch.getType()) {
            case RECORD -> datum instanceof IndexedRecord r && r.getSchema().getFullName().equals(branch.getFullName());
            case STRING -> datum instanceof CharSequence;
            case INT -> datum instanceof Integer || datum instanceof LocalDate || datum instanceof LocalTime;
            case LONG -> datum instanceof Long || datum instanceof Instant || datum instanceof LocalDateTime
                    || datum instanceof LocalTime;
            case BOOLEAN -> datum instanceof Boolean;
            case FLOAT -> datum instanceof Float;
            case DOUBLE -> datum instanceof Double;
            case BYTES -> datum instanceof ByteBuffer || datum instanceof byte[];
            case FIXED -> datum instanceof GenericFixed f && f.getSchema().getFullName().equals(branch.getFullName());
            case ENUM -> datum instanceof GenericEnumSymbol<?> || datum instanceof Enum<?> e
                    && e.getDeclaringClass().getSimpleName().equals(branch.getName());
            case ARRAY -> datum instanceof Collection<?>;
            case MAP -> datum instanceof Map<?, ?>;
            default -> false;
        };
    }

    /**
     * Reads {@code json} (the conventions above) as an instance of the generated class {@code type}; throws
     * {@link IllegalArgumentException} naming the first field that does not fit the class's schema.
     */
    static <T extends SpecificRecord> T fromJson(final JsonNode json, final Class<T> type) {
        final Schema schema = SpecificData.get().getSchema(type);
        final Object generic = fromJson(json, schema, "$");
        // Through the binary encoding: the generated class's reader applies its own logical-type conversions.
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            final BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
            new GenericDatumWriter<>(schema).write(generic, encoder);
            encoder.flush();
            return new SpecificDatumReader<T>(type).read(null,
                    DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
        } catch (final IOException | RuntimeException e) {
            throw new IllegalArgumentException("does not fit " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    private static Object fromJson(final JsonNode node, final Schema schema, final String path) {
        final boolean absent = node == null || node.isNull() || node.isMissingNode();
        switch (schema.getType()) {
            case NULL:
                if (!absent) {
                    throw wrong(path, "null", node);
                }
                return null;
            case UNION: {
                final List<String> problems = new ArrayList<>();
                for (final Schema branch : schema.getTypes()) {
                    if (absent != (branch.getType() == Schema.Type.NULL)) {
                        continue;
                    }
                    try {
                        return fromJson(node, branch, path);
                    } catch (final IllegalArgumentException e) {
                        problems.add(e.getMessage());
                    }
                }
                if (absent) {
                    throw new IllegalArgumentException(path + ": must not be null");
                }
                throw new IllegalArgumentException(problems.size() == 1 ? problems.get(0)
                        : path + ": fits none of " + branchNames(schema) + " (" + String.join("; ", problems) + ")");
            }
            default:
                break;
        }
        if (absent) {
            throw new IllegalArgumentException(path + ": must not be null (" + typeName(schema) + ")");
        }
        final LogicalType logical = schema.getLogicalType();
        switch (schema.getType()) {
            case RECORD: {
                if (!node.isObject()) {
                    throw wrong(path, "an object (" + schema.getName() + ")", node);
                }
                final Set<String> known = new HashSet<>();
                final GenericRecord record = new GenericData.Record(schema);
                for (final Schema.Field field : schema.getFields()) {
                    known.add(field.name());
                    final String at = path + "." + field.name();
                    if (!node.has(field.name())) {
                        if (!field.hasDefaultValue()) {
                            throw new IllegalArgumentException(at + ": missing (" + typeName(field.schema())
                                    + ", no default)");
                        }
                        record.put(field.pos(), GenericData.get().getDefaultValue(field));
                    } else {
                        record.put(field.pos(), fromJson(node.get(field.name()), field.schema(), at));
                    }
                }
                for (final Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
                    final String name = names.next();
                    if (!known.contains(name)) {
                        throw new IllegalArgumentException(path + "." + name + ": no such field in "
                                + schema.getName() + " (fields: " + known + ")");
                    }
                }
                return record;
            }
            case STRING:
                if (!node.isTextual()) {
                    throw wrong(path, "a string", node);
                }
                return node.asText();
            case INT:
                if (logical != null && logical.getName().equals("date") && node.isTextual()) {
                    try {
                        return (int) LocalDate.parse(node.asText()).toEpochDay();
                    } catch (final DateTimeParseException e) {
                        throw wrong(path, "a date YYYY-MM-DD", node);
                    }
                }
                if (!node.isIntegralNumber() || !node.canConvertToInt()) {
                    throw wrong(path, logical == null ? "a 32-bit whole number" : "a " + logical.getName(), node);
                }
                return node.intValue();
            case LONG:
                if (logical != null && node.isTextual()) {
                    return timestamp(node.asText(), logical.getName(), path);
                }
                if (!node.isIntegralNumber() || !node.canConvertToLong()) {
                    throw wrong(path, logical == null ? "a 64-bit whole number" : "a " + logical.getName(), node);
                }
                return node.longValue();
            case BOOLEAN:
                if (!node.isBoolean()) {
                    throw wrong(path, "true or false", node);
                }
                return node.booleanValue();
            case FLOAT:
                if (!node.isNumber()) {
                    throw wrong(path, "a number", node);
                }
                return node.floatValue();
            case DOUBLE:
                if (!node.isNumber()) {
                    throw wrong(path, "a number", node);
                }
                return node.doubleValue();
            case BYTES:
                return ByteBuffer.wrap(decodeBase64(node, path));
            case FIXED: {
                final byte[] bytes = decodeBase64(node, path);
                if (bytes.length != schema.getFixedSize()) {
                    throw wrong(path, schema.getFixedSize() + " bytes", node);
                }
                return new GenericData.Fixed(schema, bytes);
            }
            case ENUM:
                if (!node.isTextual() || !schema.getEnumSymbols().contains(node.asText())) {
                    throw wrong(path, "one of " + schema.getEnumSymbols(), node);
                }
                return new GenericData.EnumSymbol(schema, node.asText());
            case ARRAY: {
                if (!node.isArray()) {
                    throw wrong(path, "an array", node);
                }
                final List<Object> items = new ArrayList<>();
                for (int i = 0; i < node.size(); i++) {
                    items.add(fromJson(node.get(i), schema.getElementType(), path + "[" + i + "]"));
                }
                return new GenericData.Array<>(schema, items);
            }
            case MAP: {
                if (!node.isObject()) {
                    throw wrong(path, "an object (map)", node);
                }
                final Map<String, Object> map = new LinkedHashMap<>();
                node.fields().forEachRemaining(e -> map.put(e.getKey(),
                        fromJson(e.getValue(), schema.getValueType(), path + "." + e.getKey())));
                return map;
            }
            default:
                throw new IllegalArgumentException(path + ": unsupported Avro type " + schema.getType());
        }
    }

    private static long timestamp(final String text, final String logical, final String path) {
        try {
            return switch (logical) {
                case "timestamp-millis" -> Instant.parse(text).toEpochMilli();
                case "timestamp-micros" -> ChronoUnit.MICROS.between(Instant.EPOCH, Instant.parse(text));
                case "local-timestamp-millis" -> LocalDateTime.parse(text).toInstant(ZoneOffset.UTC).toEpochMilli();
                case "local-timestamp-micros" -> ChronoUnit.MICROS.between(Instant.EPOCH,
                        LocalDateTime.parse(text).toInstant(ZoneOffset.UTC));
                case "time-micros" -> LocalTime.parse(text).toNanoOfDay() / 1000L;
                default -> throw new IllegalArgumentException(path + ": a number is expected for " + logical
                        + ", was \"" + text + "\"");
            };
        } catch (final DateTimeParseException e) {
            throw new IllegalArgumentException(path + ": expected an ISO-8601 " + (logical.startsWith("local")
                    ? "date-time without zone (2024-03-01T12:00:00.123456)"
                    : logical.startsWith("time-") ? "time (12:00:00.123)" : "instant (2024-03-01T12:00:00.123Z)")
                    + ", was \"" + text + "\"");
        }
    }

    private static byte[] decodeBase64(final JsonNode node, final String path) {
        if (!node.isTextual()) {
            throw wrong(path, "base64 text", node);
        }
        try {
            return Base64.getDecoder().decode(node.asText());
        } catch (final IllegalArgumentException e) {
            throw wrong(path, "base64 text", node);
        }
    }

    private static IllegalArgumentException wrong(final String path, final String expected, final JsonNode node) {
        final String shown = node.toString();
        return new IllegalArgumentException(path + ": expected " + expected + ", was "
                + (shown.length() > 60 ? shown.substring(0, 60) + "..." : shown));
    }

    private static String typeName(final Schema schema) {
        final LogicalType logical = schema.getLogicalType();
        if (logical != null) {
            return logical.getName();
        }
        return schema.getType() == Schema.Type.UNION ? branchNames(schema).toString()
                : schema.getType() == Schema.Type.RECORD ? schema.getName() : schema.getType().getName();
    }

    private static List<String> branchNames(final Schema union) {
        return union.getTypes().stream().map(AvroJson::typeName).toList();
    }
}
