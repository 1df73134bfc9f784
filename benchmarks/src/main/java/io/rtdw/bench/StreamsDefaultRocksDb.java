package io.rtdw.bench;

import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.Options;

import java.util.Map;

/**
 * Leaves every RocksDB store with Kafka Streams' own defaults (its own block cache and memtables per store): the
 * memory benchmark's baseline beside the app's bounded configuration ({@code BoundedRocksDb}). Not for production.
 */
public final class StreamsDefaultRocksDb implements RocksDBConfigSetter {

    @Override
    public void setConfig(final String storeName, final Options options, final Map<String, Object> configs) {
        // Kafka Streams' defaults, untouched.
    }

    @Override
    public void close(final String storeName, final Options options) {
        // nothing was created
    }
}
