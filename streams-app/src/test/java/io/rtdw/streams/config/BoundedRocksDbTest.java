package io.rtdw.streams.config;

import org.junit.jupiter.api.Test;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BoundedRocksDbTest {

    static {
        RocksDB.loadLibrary();
    }

    @Test
    void everyStoreSharesOneCacheAndOneWriteBufferManagerSizedFromTheSetting() {
        final Properties props = StreamsSettings.fromEnv(Map.of("RTDW_BOOTSTRAP_SERVERS", "k:9092",
                "RTDW_ROCKSDB_MEMORY_MB", "64")).toProperties();
        final Map<String, Object> configs = Map.of(BoundedRocksDb.MEMORY_BYTES_CONFIG,
                props.getProperty(BoundedRocksDb.MEMORY_BYTES_CONFIG));
        assertEquals(BoundedRocksDb.class.getName(), props.get("rocksdb.config.setter"));
        assertEquals(String.valueOf(64L << 20), configs.get(BoundedRocksDb.MEMORY_BYTES_CONFIG));

        final BoundedRocksDb setter = new BoundedRocksDb();
        try (Options a = new Options(); Options b = new Options()) {
            setter.setConfig("customers-latest", a, configs);
            setter.setConfig("flights-per-customer", b, configs);
            final BoundedRocksDb.Shared shared = BoundedRocksDb.shared(1);
            assertEquals(64L << 20, shared.bytes(), "the budget of the first store holds for the process");
            for (final Options options : new Options[]{a, b}) {
                final BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
                assertTrue(table.cacheIndexAndFilterBlocks(), "index and filter blocks are charged to the cache");
                assertTrue(table.cacheIndexAndFilterBlocksWithHighPriority());
                assertEquals(BoundedRocksDb.WRITE_BUFFERS, options.maxWriteBufferNumber());
                assertTrue(options.writeBufferSize() <= (long) ((64L << 20) * BoundedRocksDb.MEMTABLE_SHARE),
                        "one memtable fits in the memtable share");
            }
            assertSame(BoundedRocksDb.shared(1).cache(), shared.cache(), "one cache for every store");
            setter.close("customers-latest", a);
            assertSame(shared, BoundedRocksDb.shared(1), "closing a store keeps the shared cache");
        }
    }

    @Test
    void aStreamsConfigWithoutTheBudgetIsRefused() {
        try (Options options = new Options()) {
            assertThrows(IllegalStateException.class, () -> new BoundedRocksDb().setConfig("s", options, Map.of()));
        }
    }
}
