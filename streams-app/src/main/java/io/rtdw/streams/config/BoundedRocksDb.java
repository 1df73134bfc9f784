package io.rtdw.streams.config;

import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

import java.util.Map;

/**
 * One memory budget for every RocksDB store of the process. Kafka Streams' default gives each store (and each of its
 * partitions) its own block cache and memtables, so off-heap memory grows with the number of stores x partitions x
 * standbys, unbounded. Here every store shares one block cache, and a write-buffer manager charges their memtables
 * to that same cache; index and filter blocks are cached (and charged) too, with high priority so that data blocks
 * are evicted first. The budget is {@link StreamsSettings#ROCKSDB_MEMORY_MB}, passed in the streams config as
 * {@link #MEMORY_BYTES_CONFIG}.
 *
 * <p>The cache is not strict (a read never fails for lack of room): RocksDB may briefly exceed the budget by the
 * blocks pinned by iterators in flight. What it cannot do is grow with the state's size or the number of stores.
 */
public final class BoundedRocksDb implements RocksDBConfigSetter {

    /** Streams config key holding the budget in bytes (set by {@link StreamsSettings#toProperties()}). */
    public static final String MEMORY_BYTES_CONFIG = "rtdw.rocksdb.memory.bytes";
    /** Share of the budget the memtables may take; the rest holds data, index and filter blocks. */
    static final double MEMTABLE_SHARE = 0.25;
    /** Share of the cache reserved for index and filter blocks (high priority). */
    static final double INDEX_FILTER_SHARE = 0.1;
    /** Memtables per store: one being written, one being flushed. */
    static final int WRITE_BUFFERS = 2;

    private static Shared shared;

    /** The process-wide cache and write-buffer manager, created by the first store with the configured budget. */
    record Shared(long bytes, Cache cache, WriteBufferManager writeBuffers) {
    }

    static synchronized Shared shared(final long bytes) {
        if (shared == null) {
            final Cache cache = new LRUCache(bytes, -1, false, INDEX_FILTER_SHARE);
            shared = new Shared(bytes, cache, new WriteBufferManager((long) (bytes * MEMTABLE_SHARE), cache));
        }
        return shared;
    }

    @Override
    public void setConfig(final String storeName, final Options options, final Map<String, Object> configs) {
        final Object value = configs.get(MEMORY_BYTES_CONFIG);
        if (value == null) {
            throw new IllegalStateException(MEMORY_BYTES_CONFIG + " is not set: the streams config comes from "
                    + "StreamsSettings.toProperties()");
        }
        final long bytes = Long.parseLong(value.toString());
        final Shared memory = shared(bytes);
        // Kafka Streams hands over options with its own block-based table config; keep its other choices.
        final BlockBasedTableConfig table = options.tableFormatConfig() instanceof BlockBasedTableConfig given
                ? given : new BlockBasedTableConfig();
        table.setBlockCache(memory.cache());
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setTableFormatConfig(table);
        options.setWriteBufferManager(memory.writeBuffers());
        options.setMaxWriteBufferNumber(WRITE_BUFFERS);
        // A memtable no bigger than the budget's memtable share split over a few stores, so one busy store cannot
        // take it all before the manager flushes.
        options.setWriteBufferSize(Math.max(1L << 20, (long) (memory.bytes() * MEMTABLE_SHARE / 8)));
    }

    @Override
    public void close(final String storeName, final Options options) {
        // The cache and the write-buffer manager are shared by every store of the process: never closed here.
    }
}
