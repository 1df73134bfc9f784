package io.rtdw.streams.topology;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.ops.PipelineMetrics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;

/**
 * The unified customer topology, one sub-topology: the three CDC topics (co-partitioned by customer, see
 * {@link io.rtdw.catalog.CustomerPartitioner}) are decoded (bad input to the dead-letter topic), merged, and joined by
 * {@link JoinProcessor} over one store, {@value #STATE}; the output goes to the unified topic. Every source change
 * reaches the committed output in the transaction that reads it. Pure: builds a {@link Topology}, does no I/O,
 * reads no environment.
 *
 * <p>Every processor and the store are named; renaming one orphans state on a rolling upgrade, which the golden
 * test of {@code describe()} and {@code TopologyCompatibility} catch.
 */
public final class UnifiedCustomerTopology {

    /** The one store, part of the upgrade contract (its changelog topic is derived from it). */
    public static final String STATE = "unified-state";

    private static final Map<String, String> CHANGELOG_CONFIG = Map.of("min.insync.replicas", "2");

    /**
     * How the join runs.
     *
     * @param partitions         partitions of the CDC topics (all equal; 1 in the test driver)
     * @param maxChildren        cap of each array in the output record (counts stay exact)
     * @param atLeastOnce        the app runs at_least_once: a replayed change writes its customers again
     * @param removedRetention   how long a removed child's position is kept against replays before it is purged
     * @param inMemoryStores     in-memory stores (the test driver commits after every record, and RocksDB's
     *                           per-commit checkpoint files would dominate), RocksDB otherwise
     */
    public record Options(int partitions, int maxChildren, boolean atLeastOnce, Duration removedRetention,
                          boolean inMemoryStores) {

        /** One partition, in-memory stores, exactly once: the test driver's set-up. */
        public static Options driver(final int maxChildren) {
            return new Options(1, maxChildren, false, Duration.ofDays(7), true);
        }
    }

    private UnifiedCustomerTopology() {
    }

    /**
     * Builds the topology.
     *
     * @param catalog  where the topics are
     * @param registry value serdes of the CDC and output topics, and of the state
     * @param options  how the join runs
     * @param metrics  the app's counters
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static Topology build(final TopicCatalog catalog, final RegistrySerdes registry, final Options options,
                                 final PipelineMetrics metrics) {
        final StreamsBuilder builder = new StreamsBuilder();
        final Topic<byte[], DeadLetter> dlq = catalog.streamsDeadLetters();
        final Produced<byte[], DeadLetter> dlqProduced = Produced.with(Serdes.ByteArray(), registry.valueSerde(dlq));

        final KeyValueBytesStoreSupplier supplier = options.inMemoryStores()
                ? Stores.inMemoryKeyValueStore(STATE) : Stores.persistentKeyValueStore(STATE);
        final StoreBuilder<KeyValueStore<Bytes, byte[]>> store = Stores.keyValueStoreBuilder(supplier,
                Serdes.Bytes(), Serdes.ByteArray()).withLoggingEnabled(CHANGELOG_CONFIG).withCachingDisabled();
        builder.addStateStore(store);

        final int n = options.partitions();
        final KStream customers = decoded(builder, catalog.customers(), SourceTable.CUSTOMERS, registry, dlq, dlqProduced, metrics, n);
        final KStream flights = decoded(builder, catalog.flights(), SourceTable.FLIGHTS, registry, dlq, dlqProduced, metrics, n);
        final KStream vehicles = decoded(builder, catalog.vehicles(), SourceTable.VEHICLES, registry, dlq, dlqProduced, metrics, n);
        final KStream<Object, Object> changes = ((KStream<Object, Object>) customers)
                .merge(flights, Named.as("merge-flights"))
                .merge(vehicles, Named.as("merge-vehicles"));

        final JoinState.Serdes stateSerdes = new JoinState.Serdes(registry);
        final Topic<CustomerKey, UnifiedCustomer> output = catalog.unifiedCustomers();
        final Serde<CustomerKey> customerKeySerde = RegistrySerdes.keySerde(output);
        changes.process(() -> new JoinProcessor(STATE, stateSerdes, options.partitions(), options.maxChildren(),
                                options.atLeastOnce(), options.removedRetention().toMillis(), metrics),
                        Named.as("join"), STATE)
                .to(output.name(), Produced.with(customerKeySerde, registry.valueSerde(output)).withName("unified-sink"));
        return builder.build();
    }

    /**
     * A CDC topic's valid changes: decoded, checked against the table's contract and against the partition they
     * were read from ({@link DecodeProcessor}); what is not a valid change of the table, or not of this partition,
     * goes to the dead-letter topic in the same transaction.
     */
    private static <K, V extends SpecificRecord> KStream<K, V> decoded(final StreamsBuilder builder, final Topic<K, V> topic,
                                                final SourceTable<K, V> table, final RegistrySerdes registry,
                                                final Topic<byte[], DeadLetter> dlq,
                                                final Produced<byte[], DeadLetter> dlqProduced,
                                                final PipelineMetrics metrics, final int partitions) {
        final String name = table.name();
        final Serde<K> keySerde = RegistrySerdes.keySerde(topic);
        final Serde<V> valueSerde = registry.valueSerde(topic);
        final KStream<K, Decoded<V>> decoded = builder
                .stream(topic.name(), Consumed.with(keySerde, Serdes.ByteArray()).withName(name + "-source"))
                .processValues(() -> new DecodeProcessor<>(table, valueSerde.deserializer(), keySerde.serializer(), metrics,
                        partitions),
                        Named.as(name + "-decode"));
        final Map<String, KStream<K, Decoded<V>>> branches = decoded
                .split(Named.as(name + "-"))
                .branch((key, value) -> value.isDeadLetter(), Branched.as("dead-letters"))
                .defaultBranch(Branched.as("valid"));
        branches.get(name + "-dead-letters")
                .map((key, value) -> KeyValue.pair(bytes(value.deadLetter().getOriginalKey()), value.deadLetter()),
                        Named.as(name + "-dead-letters-by-original-key"))
                .to(dlq.name(), dlqProduced.withName(name + "-dead-letters-sink"));
        return branches.get(name + "-valid").mapValues(Decoded::change, Named.as(name + "-changes"));
    }

    private static byte[] bytes(final ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        final ByteBuffer copy = buffer.duplicate();
        final byte[] out = new byte[copy.remaining()];
        copy.get(out);
        return out;
    }
}
