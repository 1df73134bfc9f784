package io.rtdw.testing;

import org.apache.avro.Conversion;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalType;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A record of any generated class with every field filled from its schema: each union takes its last (non-null)
 * branch, arrays and maps get two entries, logical types get their Java types (Instant, LocalDate ...). So a
 * round-trip test covers every field of every topic type without knowing them.
 */
final class AvroSamples {

    private AvroSamples() {
    }

    static <T extends SpecificRecord> T sample(final Class<T> type, final long seed) {
        final Schema schema = SpecificData.get().getSchema(type);
        return type.cast(value(schema, SpecificData.getForSchema(schema), new Random(seed)));
    }

    private static Object value(final Schema schema, final SpecificData model, final Random random) {
        final LogicalType logical = schema.getLogicalType();
        final Object raw = raw(schema, model, random);
        if (logical != null) {
            final Conversion<?> conversion = model.getConversionFor(logical);
            if (conversion != null) {
                return Conversions.convertToLogicalType(raw, schema, logical, conversion);
            }
        }
        return raw;
    }

    private static Object raw(final Schema schema, final SpecificData model, final Random random) {
        switch (schema.getType()) {
            case RECORD: {
                final IndexedRecord record = (IndexedRecord) model.newRecord(null, schema);
                for (final Schema.Field field : schema.getFields()) {
                    record.put(field.pos(), value(field.schema(), model, random));
                }
                return record;
            }
            case UNION:
                return value(schema.getTypes().get(schema.getTypes().size() - 1), model, random);
            case ARRAY: {
                final List<Object> list = new ArrayList<>();
                list.add(value(schema.getElementType(), model, random));
                list.add(value(schema.getElementType(), model, random));
                return list;
            }
            case MAP: {
                final Map<String, Object> map = new LinkedHashMap<>();
                map.put("k1", value(schema.getValueType(), model, random));
                map.put("k2", value(schema.getValueType(), model, random));
                return map;
            }
            case ENUM:
                return model.createEnum(schema.getEnumSymbols().get(random.nextInt(schema.getEnumSymbols().size())),
                        schema);
            case FIXED: {
                final byte[] bytes = new byte[schema.getFixedSize()];
                random.nextBytes(bytes);
                return model.createFixed(null, bytes, schema);
            }
            case STRING:
                return "s" + random.nextInt(1_000_000);
            case BYTES: {
                final byte[] bytes = new byte[8];
                random.nextBytes(bytes);
                return ByteBuffer.wrap(bytes);
            }
            case INT:
                return random.nextInt(100_000);
            case LONG:
                // positive and well inside every timestamp type's range
                return 1_700_000_000_000L + random.nextInt(1_000_000_000);
            case FLOAT:
                return random.nextFloat();
            case DOUBLE:
                return random.nextDouble();
            case BOOLEAN:
                return random.nextBoolean();
            case NULL:
                return null;
            default:
                throw new IllegalArgumentException("unsupported Avro type " + schema.getType());
        }
    }
}
