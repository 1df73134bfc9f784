package io.rtdw.streams.topology;

import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * One task of the join as Kafka Streams runs it, without the test driver's commit after every record: its partition,
 * its own store (in memory, or RocksDB as in production), the processor, and what it forwarded.
 */
final class JoinTask implements AutoCloseable {

    private final JoinProcessor processor;
    private final MockProcessorContext<CustomerKey, UnifiedCustomer> context;
    private final KeyValueStore<Bytes, byte[]> store;

    JoinTask(final int partition, final JoinProcessor processor, final File stateDir, final boolean rocksDb) {
        this.processor = processor;
        this.context = new MockProcessorContext<>(new Properties(), new TaskId(0, partition),
                new File(stateDir, "task-" + partition));
        final KeyValueBytesStoreSupplier supplier = rocksDb
                ? Stores.persistentKeyValueStore(UnifiedCustomerTopology.STATE)
                : Stores.inMemoryKeyValueStore(UnifiedCustomerTopology.STATE);
        store = Stores.keyValueStoreBuilder(supplier, Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        context.setCurrentSystemTimeMs(1_700_000_000_000L);
        processor.init(context);
    }

    void process(final Object key, final Object value, final long timestampMs) {
        processor.process(new Record<>(key, value, timestampMs));
    }

    /** What the processor forwarded since the last call. */
    List<KeyValue<CustomerKey, UnifiedCustomer>> written() {
        final List<KeyValue<CustomerKey, UnifiedCustomer>> out = new ArrayList<>();
        context.forwarded().forEach(f -> out.add(KeyValue.pair(f.record().key(), f.record().value())));
        context.resetForwards();
        return out;
    }

    @Override
    public void close() {
        processor.close();
        store.close();
    }
}
