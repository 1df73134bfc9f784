package io.rtdw.cdc.engine;

import io.rtdw.catalog.Topic;
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
}
