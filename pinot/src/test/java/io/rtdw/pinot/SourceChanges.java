package io.rtdw.pinot;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.Customer;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.Flight;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.schemas.Vehicle;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;
import io.rtdw.serde.RegistrySerdes;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The three source tables as the CDC processes publish them (Debezium-style envelopes, registry-framed values,
 * Avro keys, a tombstone after each delete, commit time as record timestamp), and their current state: the
 * oracle is the SQL LEFT join of that state.
 */
final class SourceChanges implements AutoCloseable {

    private final TopicCatalog catalog;
    private final RegistrySerdes registry = RegistrySerdes.embedded();
    private final KafkaProducer<byte[], byte[]> producer;
    final Map<Integer, Customer> customers = new TreeMap<>();
    final Map<Integer, Flight> flights = new TreeMap<>();
    final Map<Integer, Vehicle> vehicles = new TreeMap<>();
    private long clock = Instant.parse("2026-11-21T08:00:00Z").toEpochMilli();
    private long pgSequence = 1_000;
    private long mongoSequence = 1_000;

    SourceChanges(final String bootstrapServers, final TopicCatalog catalog) {
        this.catalog = catalog;
        final Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    void customer(final int id, final String profession) {
        final Customer before = customers.get(id);
        final Customer after = Customer.newBuilder().setId(id).setNome("customer " + id).setSexo("F")
                .setEmail("c" + id + "@example.com").setProfissao(profession)
                .setDtUpdate(LocalDateTime.ofEpochSecond(clock / 1000, 0, ZoneOffset.UTC)).build();
        customers.put(id, after);
        send(catalog.customers(), new CustomerKey(id), CustomerChange.newBuilder().setOp(before == null ? Op.CREATE : Op.UPDATE)
                .setBefore(before).setAfter(after).setSource(pg("public.customers")).build());
    }

    void deleteCustomer(final int id) {
        final Customer before = Objects.requireNonNull(customers.remove(id));
        send(catalog.customers(), new CustomerKey(id), CustomerChange.newBuilder().setOp(Op.DELETE).setBefore(before)
                .setAfter(null).setSource(pg("public.customers")).build());
        send(catalog.customers(), new CustomerKey(id), null);
    }

    void flight(final int id, final int customerId, final String airline, final String airport) {
        final Flight before = flights.get(id);
        final Flight after = Flight.newBuilder().setId(id).setCustomerId(customerId).setLinhaAerea(airline)
                .setAeroporto(airport).setCodIata("X" + id % 10).build();
        flights.put(id, after);
        send(catalog.flights(), new FlightKey(id), FlightChange.newBuilder().setOp(before == null ? Op.CREATE : Op.UPDATE)
                .setBefore(before).setAfter(after).setSource(pg("public.flight")).build());
    }

    void deleteFlight(final int id) {
        final Flight before = Objects.requireNonNull(flights.remove(id));
        send(catalog.flights(), new FlightKey(id), FlightChange.newBuilder().setOp(Op.DELETE).setBefore(before)
                .setAfter(null).setSource(pg("public.flight")).build());
        send(catalog.flights(), new FlightKey(id), null);
    }

    void vehicle(final int id, final int customerId, final String maker, final String category) {
        final Vehicle before = vehicles.get(id);
        final Vehicle after = Vehicle.newBuilder().setId(id).setCustomerId(customerId).setFabricante(maker)
                .setCategoria(category).setModelo("m" + id % 4).setAnoModelo("2021").setAnoVeiculo(2020)
                .setDtUpdate(Instant.ofEpochMilli(clock)).build();
        vehicles.put(id, after);
        send(catalog.vehicles(), new VehicleKey(id), VehicleChange.newBuilder().setOp(before == null ? Op.CREATE : Op.UPDATE)
                .setBefore(before).setAfter(after).setSource(mongo()).build());
    }

    void deleteVehicle(final int id) {
        final Vehicle before = Objects.requireNonNull(vehicles.remove(id));
        send(catalog.vehicles(), new VehicleKey(id), VehicleChange.newBuilder().setOp(Op.DELETE).setBefore(before)
                .setAfter(null).setSource(mongo()).build());
        send(catalog.vehicles(), new VehicleKey(id), null);
    }

    /** The oracle: per live customer, its flights and vehicles (LEFT join on customer_id). */
    Map<Integer, Joined> joined() {
        final Map<Integer, Joined> out = new TreeMap<>();
        customers.forEach((id, c) -> out.put(id, new Joined(c,
                flights.values().stream().filter(f -> f.getCustomerId() == id).toList(),
                vehicles.values().stream().filter(v -> v.getCustomerId() == id).toList())));
        return out;
    }

    /** One row of {@code customers LEFT JOIN flight LEFT JOIN vehicle}, grouped per customer. */
    record Joined(Customer customer, List<Flight> flights, List<Vehicle> vehicles) {
    }

    private SourceInfo pg(final String table) {
        clock += 1_000;
        pgSequence += 10;
        return SourceInfo.newBuilder().setConnector("postgresql").setDb("rtdw").setTable(table).setCommitTsMs(clock)
                .setPosition("0/" + Long.toHexString(pgSequence)).setSequence(pgSequence).setSnapshot(false).setTxId(null)
                .build();
    }

    private SourceInfo mongo() {
        clock += 1_000;
        mongoSequence += 1;
        return SourceInfo.newBuilder().setConnector("mongodb").setDb("rtdw").setTable("vehicle").setCommitTsMs(clock)
                .setPosition(Long.toHexString(mongoSequence)).setSequence(mongoSequence).setSnapshot(false).setTxId(null)
                .build();
    }

    @SuppressWarnings("unchecked")
    private <K extends SpecificRecord, V extends SpecificRecord> void send(final Topic<K, V> topic, final K key,
                                                                          final SpecificRecord value) {
        final byte[] keyBytes = RegistrySerdes.keySerde(topic).serializer().serialize(topic.name(), key);
        final byte[] valueBytes = value == null ? null
                : registry.valueSerde(topic).serializer().serialize(topic.name(), (V) value);
        try {
            producer.send(new ProducerRecord<>(topic.name(), null, clock, keyBytes, valueBytes)).get();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (final java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}
