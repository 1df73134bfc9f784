package io.rtdw.streams.tools;

import io.rtdw.catalog.SourceChange;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.ops.PipelineMetrics;
import io.rtdw.streams.topology.UnifiedCustomerTopology;
import io.rtdw.testing.ChangeLines;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The real topology in a {@link TopologyTestDriver}: no broker, same code. Used by the scenario tests and, through
 * this module's test-jar, by dev-tools' replay command; it is test code, so {@code kafka-streams-test-utils} never
 * reaches the app's class path. Input records are written as the CDC process writes them (plain Avro key,
 * registry-framed value, commit time as timestamp).
 */
public final class PipelineDriver implements AutoCloseable {

    private final TopicCatalog catalog;
    private final RegistrySerdes registry = RegistrySerdes.embedded();
    private final PipelineMetrics metrics = new PipelineMetrics();
    private final TopologyTestDriver driver;
    private final Path stateDir;
    private final Map<SourceChange.Table, TestInputTopic<byte[], byte[]>> inputs = new EnumMap<>(SourceChange.Table.class);
    private final TestOutputTopic<CustomerKey, UnifiedCustomer> output;
    private final TestOutputTopic<byte[], DeadLetter> deadLetters;

    /**
     * @param catalog     topic names
     * @param maxChildren cap of each output array
     */
    public PipelineDriver(final TopicCatalog catalog, final int maxChildren) {
        this(catalog, UnifiedCustomerTopology.Options.driver(maxChildren));
    }

    /**
     * @param catalog topic names
     * @param options how the join runs (one partition: the driver has one)
     */
    public PipelineDriver(final TopicCatalog catalog, final UnifiedCustomerTopology.Options options) {
        this.catalog = catalog;
        try {
            this.stateDir = Files.createTempDirectory("rtdw-driver");
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "rtdw-driver");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "driver:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0L);
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        // The driver has no transactions either way; at-least-once spares a store checkpoint file per input record.
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
        driver = new TopologyTestDriver(UnifiedCustomerTopology.build(catalog, registry, options, metrics), props,
                Instant.ofEpochMilli(0));
        for (final SourceChange.Table table : SourceChange.Table.values()) {
            inputs.put(table, driver.createInputTopic(table.topic(catalog).name(),
                    Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer()));
        }
        final Topic<CustomerKey, UnifiedCustomer> out = catalog.unifiedCustomers();
        output = driver.createOutputTopic(out.name(), RegistrySerdes.keySerde(out).deserializer(),
                registry.valueSerde(out).deserializer());
        final Topic<byte[], DeadLetter> dlq = catalog.streamsDeadLetters();
        deadLetters = driver.createOutputTopic(dlq.name(), Serdes.ByteArray().deserializer(),
                registry.valueSerde(dlq).deserializer());
    }

    /** Writes one change to its CDC topic. */
    public void pipe(final SourceChange change) {
        pipeBytes(change.table(), keyBytes(change.table(), change.key()), valueBytes(change.table(), change.value()),
                change.timestampMs());
    }

    /** Writes one parsed JSON line: a change, a tombstone or raw bytes. */
    public void pipe(final ChangeLines.Line line) {
        final byte[] value = line.raw() != null ? line.raw() : valueBytes(line.table(), line.value());
        pipeBytes(line.table(), keyBytes(line.table(), line.key()), value, line.timestampMs());
    }

    /** Writes raw bytes to a CDC topic (for poison pills). */
    public void pipeBytes(final SourceChange.Table table, final byte[] key, final byte[] value, final long timestampMs) {
        inputs.get(table).pipeInput(new TestRecord<>(key, value, null, Instant.ofEpochMilli(timestampMs)));
    }

    /** Output records written since the last call, in order (value null = tombstone). */
    public List<KeyValue<CustomerKey, UnifiedCustomer>> readOutput() {
        final List<KeyValue<CustomerKey, UnifiedCustomer>> out = new ArrayList<>();
        output.readRecordsToList().forEach(r -> out.add(KeyValue.pair(r.key(), r.value())));
        return out;
    }

    /** Dead letters written since the last call. */
    public List<DeadLetter> readDeadLetters() {
        return deadLetters.readValuesToList();
    }

    public PipelineMetrics metrics() {
        return metrics;
    }

    public TopologyTestDriver driver() {
        return driver;
    }

    /** The embedded registry the topology reads and writes with (a schema must be registered here to be read). */
    public RegistrySerdes registry() {
        return registry;
    }

    @SuppressWarnings("unchecked")
    private byte[] keyBytes(final SourceChange.Table table, final SpecificRecord key) {
        final Serde<SpecificRecord> serde = (Serde<SpecificRecord>) RegistrySerdes.keySerde(table.topic(catalog));
        return serde.serializer().serialize(table.topic(catalog).name(), key);
    }

    @SuppressWarnings("unchecked")
    private byte[] valueBytes(final SourceChange.Table table, final SpecificRecord value) {
        if (value == null) {
            return null;
        }
        final Topic<?, SpecificRecord> topic = (Topic<?, SpecificRecord>) table.topic(catalog);
        return registry.valueSerde(topic).serializer().serialize(topic.name(), value);
    }

    @Override
    public void close() {
        driver.close();
        try (var files = Files.walk(stateDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (final java.io.IOException e) {
            // best effort: a temp dir
        }
    }
}
