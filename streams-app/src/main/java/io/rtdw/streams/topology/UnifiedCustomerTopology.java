package io.rtdw.streams.topology;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.serde.AvroListSerde;
import io.rtdw.serde.PlainAvroSerde;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.ops.PipelineMetrics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.Stores;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The unified customer topology: {@code customers} as a table, {@code flight} and {@code vehicle} re-keyed by
 * {@code customer_id} and aggregated per customer, the customer LEFT-joined with both, versioned, written to the
 * output topic. Pure: builds a {@link Topology}, does no I/O, reads no environment.
 *
 * <p>Every processor, store and internal topic is named; renaming one orphans state on a rolling upgrade, which the
 * golden test of {@code describe()} catches.
 */
public final class UnifiedCustomerTopology {

    /** Store names, part of the upgrade contract (changelog topics are derived from them). */
    public static final String CUSTOMERS_POSITIONS = "customers-positions";
    public static final String FLIGHT_POSITIONS = "flight-positions";
    public static final String VEHICLE_POSITIONS = "vehicle-positions";
    public static final String CUSTOMERS_LATEST = "customers-latest";
    public static final String FLIGHTS_LATEST = "flights-latest";
    public static final String VEHICLES_LATEST = "vehicles-latest";
    public static final String FLIGHTS_PER_CUSTOMER = "flights-per-customer";
    public static final String VEHICLES_PER_CUSTOMER = "vehicles-per-customer";
    public static final String UNIFIED_VERSIONS = "unified-versions";

    /** Changelog topics hold one list per customer: allow big ones rather than fail on a prolific customer. */
    private static final Map<String, String> CHANGELOG_CONFIG = Map.of("max.message.bytes", String.valueOf(8 * 1024 * 1024),
            "min.insync.replicas", "2");

    private UnifiedCustomerTopology() {
    }

    /**
     * Builds the topology.
     *
     * @param catalog     where the topics are
     * @param registry    value serdes of the CDC and output topics
     * @param maxChildren cap of each array in the output record (counts stay exact)
     * @param metrics     the app's counters
     */
    public static Topology build(final TopicCatalog catalog, final RegistrySerdes registry, final int maxChildren,
                                 final PipelineMetrics metrics) {
        return build(catalog, registry, maxChildren, metrics, false);
    }

    /**
     * Builds the topology, with RocksDB stores (production) or in-memory stores of the same names (the test
     * driver, where RocksDB's per-commit checkpoint files would dominate: the driver commits after every record).
     */
    public static Topology build(final TopicCatalog catalog, final RegistrySerdes registry, final int maxChildren,
                                 final PipelineMetrics metrics, final boolean inMemoryStores) {
        final Function<String, KeyValueBytesStoreSupplier> store =
                name -> inMemoryStores ? Stores.inMemoryKeyValueStore(name) : Stores.persistentKeyValueStore(name);
        final StreamsBuilder builder = new StreamsBuilder();
        final Topic<byte[], DeadLetter> dlq = catalog.streamsDeadLetters();
        final Produced<byte[], DeadLetter> dlqProduced = Produced.with(Serdes.ByteArray(), registry.valueSerde(dlq));
        final Serde<CustomerKey> customerKeySerde = RegistrySerdes.keySerde(catalog.customers());

        final KTable<CustomerKey, CustomerChange> customers = table(builder, catalog.customers(),
                SourceTable.CUSTOMERS, registry, CUSTOMERS_POSITIONS, CUSTOMERS_LATEST, dlq, dlqProduced, metrics, store);
        final KTable<?, FlightChange> flights = table(builder, catalog.flights(),
                SourceTable.FLIGHTS, registry, FLIGHT_POSITIONS, FLIGHTS_LATEST, dlq, dlqProduced, metrics, store);
        final KTable<?, VehicleChange> vehicles = table(builder, catalog.vehicles(),
                SourceTable.VEHICLES, registry, VEHICLE_POSITIONS, VEHICLES_LATEST, dlq, dlqProduced, metrics, store);

        final Serde<List<UnifiedFlight>> flightListSerde = new AvroListSerde<>(UnifiedFlight.getClassSchema());
        final KTable<CustomerKey, List<UnifiedFlight>> flightsPerCustomer = flights
                .groupBy((flightKey, change) -> KeyValue.pair(new CustomerKey(change.getAfter().getCustomerId()),
                                Children.flight(change)),
                        Grouped.with("flights-by-customer", customerKeySerde, new PlainAvroSerde<>(UnifiedFlight.class)))
                .aggregate(List::of,
                        (customer, flight, list) -> Children.upsert(list, flight, Children::flightId),
                        (customer, flight, list) -> Children.remove(list, flight.getFlightId(), Children::flightId),
                        Named.as("flights-aggregate"),
                        Materialized.<CustomerKey, List<UnifiedFlight>>as(store.apply(FLIGHTS_PER_CUSTOMER))
                                .withKeySerde(customerKeySerde).withValueSerde(flightListSerde)
                                .withLoggingEnabled(CHANGELOG_CONFIG));

        final Serde<List<UnifiedVehicle>> vehicleListSerde = new AvroListSerde<>(UnifiedVehicle.getClassSchema());
        final KTable<CustomerKey, List<UnifiedVehicle>> vehiclesPerCustomer = vehicles
                .groupBy((vehicleKey, change) -> KeyValue.pair(new CustomerKey(change.getAfter().getCustomerId()),
                                Children.vehicle(change)),
                        Grouped.with("vehicles-by-customer", customerKeySerde, new PlainAvroSerde<>(UnifiedVehicle.class)))
                .aggregate(List::of,
                        (customer, vehicle, list) -> Children.upsert(list, vehicle, Children::vehicleId),
                        (customer, vehicle, list) -> Children.remove(list, vehicle.getVehicleId(), Children::vehicleId),
                        Named.as("vehicles-aggregate"),
                        Materialized.<CustomerKey, List<UnifiedVehicle>>as(store.apply(VEHICLES_PER_CUSTOMER))
                                .withKeySerde(customerKeySerde).withValueSerde(vehicleListSerde)
                                .withLoggingEnabled(CHANGELOG_CONFIG));

        final CustomerJoiner joiner = new CustomerJoiner(maxChildren);
        final KTable<CustomerKey, UnifiedCustomer> unified = customers
                .leftJoin(flightsPerCustomer, joiner::withFlights, Named.as("join-flights"))
                .leftJoin(vehiclesPerCustomer, joiner::withVehicles, Named.as("join-vehicles"));

        builder.addStateStore(Stores.keyValueStoreBuilder(store.apply(UNIFIED_VERSIONS),
                customerKeySerde, VersionState.serde()).withLoggingEnabled(Map.of("min.insync.replicas", "2")));
        final Topic<CustomerKey, UnifiedCustomer> output = catalog.unifiedCustomers();
        unified.toStream(Named.as("unified-changes"))
                .process(() -> new VersionStamper(UNIFIED_VERSIONS, metrics), Named.as("stamp-version"), UNIFIED_VERSIONS)
                .to(output.name(), Produced.with(customerKeySerde, registry.valueSerde(output)).withName("unified-sink"));
        return builder.build();
    }

    /**
     * Source topic to table: decode (bad input to the dead-letter topic), apply (changes not after the applied
     * source position dropped, deletes as removals, commit time as timestamp), materialize. The positions store
     * holds {@link io.rtdw.position.SourcePosition#toBytes()} per key.
     */
    private static <K extends SpecificRecord, V extends SpecificRecord> KTable<K, V> table(
            final StreamsBuilder builder, final Topic<K, V> topic, final SourceTable<K, V> table,
            final RegistrySerdes registry, final String positionsStore, final String latestStore,
            final Topic<byte[], DeadLetter> dlq, final Produced<byte[], DeadLetter> dlqProduced,
            final PipelineMetrics metrics,
            final Function<String, KeyValueBytesStoreSupplier> store) {
        final String name = table.name();
        final Serde<K> keySerde = RegistrySerdes.keySerde(topic);
        final Serde<V> valueSerde = registry.valueSerde(topic);
        builder.addStateStore(Stores.keyValueStoreBuilder(store.apply(positionsStore),
                keySerde, Serdes.ByteArray()).withLoggingEnabled(Map.of("min.insync.replicas", "2")));

        final KStream<K, Decoded<V>> decoded = builder
                .stream(topic.name(), Consumed.with(keySerde, Serdes.ByteArray()).withName(name + "-source"))
                .processValues(() -> new DecodeProcessor<>(table, valueSerde.deserializer(), keySerde.serializer(), metrics),
                        Named.as(name + "-decode"));
        final Map<String, KStream<K, Decoded<V>>> branches = decoded
                .split(Named.as(name + "-"))
                .branch((key, value) -> value.isDeadLetter(), Branched.as("dead-letters"))
                .defaultBranch(Branched.as("valid"));
        branches.get(name + "-dead-letters")
                .map((key, value) -> KeyValue.pair(bytes(value.deadLetter().getOriginalKey()), value.deadLetter()),
                        Named.as(name + "-dead-letters-by-original-key"))
                .to(dlq.name(), dlqProduced.withName(name + "-dead-letters-sink"));
        return branches.get(name + "-valid")
                .mapValues(Decoded::change, Named.as(name + "-changes"))
                .processValues(() -> new ApplyProcessor<>(table, positionsStore, metrics), Named.as(name + "-apply"),
                        positionsStore)
                .toTable(Named.as(name + "-table"),
                        Materialized.<K, V>as(store.apply(latestStore))
                                .withKeySerde(keySerde)
                                .withValueSerde(new PlainAvroSerde<>(topic.valueType()))
                                .withLoggingEnabled(Map.of("min.insync.replicas", "2")));
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
