package io.rtdw.cdc.engine;

import io.rtdw.catalog.Topic;
import io.rtdw.schemas.SourceInfo;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;

import java.util.Objects;

/**
 * One source change mapped to the project's change record, ready to produce.
 *
 * @param topic       catalog topic it goes to
 * @param key         record key (CustomerKey, FlightKey, VehicleKey)
 * @param value       change record (CustomerChange, FlightChange, VehicleChange)
 * @param commitTsMs  source commit time: becomes the Kafka record timestamp
 * @param position    source position (LSN, resume token), for logs and dead letters
 * @param <K> key type
 * @param <V> value type
 */
public record MappedChange<K extends SpecificRecord, V extends SpecificRecord>(Topic<K, V> topic, K key, V value,
                                                                               long commitTsMs, String position) {
    public MappedChange {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }

    /** The change record's {@code source} (every change record has one), or null for a value without it. */
    public SourceInfo source() {
        final Schema.Field field = value.getSchema().getField("source");
        return field != null && value.get(field.pos()) instanceof SourceInfo info ? info : null;
    }
}
