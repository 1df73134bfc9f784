package io.rtdw.bench;

import io.rtdw.testing.RegistryServer;
import io.rtdw.catalog.ChangeRouter;
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
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Fills the CDC topics directly with generated change records (the records the capture would write, without going
 * through PostgreSQL, which would take far longer): customers {@code [from, to)}, each with
 * {@code flightsPerCustomer} flights and {@code vehiclesPerCustomer} vehicles.
 */
public final class MemoryLoad {

    private static final String[] AIRPORTS = {"Guarulhos", "Congonhas", "Galeão", "Confins", "Brasília"};
    private static final String[] MAKERS = {"Fiat", "Volkswagen", "Chevrolet", "Toyota", "Hyundai"};

    private MemoryLoad() {
    }

    /** Produces the records and returns how many were written. */
    public static long produce(final String bootstrap, final TopicCatalog catalog, final int from, final int to,
                               final int flightsPerCustomer, final int vehiclesPerCustomer) {
        final Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        final RegistrySerdes registry = RegistryServer.shared().serdes();
        long n = 0;
        long sequence = 1_000_000L * from;
        final long now = System.currentTimeMillis();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int c = from; c < to; c++) {
                final Customer customer = Customer.newBuilder().setId(c).setNome("Cliente " + c).setSexo(c % 2 == 0 ? "F" : "M")
                        .setEndereco("Rua das Flores, " + c % 2000 + " - São Paulo").setTelefone("+55 11 9" + (10_000_000 + c % 89_999_999))
                        .setEmail("cliente" + c + "@example.com").setFoto("https://img.example.com/u/" + c + ".jpg")
                        .setNascimento(LocalDate.of(1950 + c % 50, 1 + c % 12, 1 + c % 28)).setProfissao("Analista")
                        .setDtUpdate(LocalDateTime.of(2024, 1, 1, 8, 0)).build();
                send(producer, registry, catalog.customers(), new CustomerKey(c), CustomerChange.newBuilder()
                        .setOp(Op.CREATE).setAfter(customer).setSource(pg("public.customers", now, ++sequence)).build(), now);
                n++;
                for (int k = 0; k < flightsPerCustomer; k++) {
                    final int id = (c - 1) * flightsPerCustomer + k + 1;
                    final Flight flight = Flight.newBuilder().setId(id).setCustomerId(c).setAeroporto(AIRPORTS[id % AIRPORTS.length])
                            .setLinhaAerea("LATAM").setCodIata("GRU").setDtUpdate(LocalDateTime.of(2024, 1, 1, 8, 0)).build();
                    send(producer, registry, catalog.flights(), new FlightKey(id), FlightChange.newBuilder().setOp(Op.CREATE)
                            .setAfter(flight).setSource(pg("public.flight", now, ++sequence)).build(), now);
                    n++;
                }
                for (int k = 0; k < vehiclesPerCustomer; k++) {
                    final int id = (c - 1) * vehiclesPerCustomer + k + 1;
                    final Vehicle vehicle = Vehicle.newBuilder().setId(id).setCustomerId(c).setAnoModelo("2021")
                            .setModelo("Modelo " + id % 40).setFabricante(MAKERS[id % MAKERS.length]).setAnoVeiculo(2020)
                            .setCategoria("Hatch").setDtUpdate(Instant.ofEpochMilli(now)).build();
                    send(producer, registry, catalog.vehicles(), new VehicleKey(id), VehicleChange.newBuilder().setOp(Op.CREATE)
                            .setAfter(vehicle).setSource(SourceInfo.newBuilder().setConnector("mongodb").setDb("rtdw")
                                    .setTable("vehicle").setCommitTsMs(now).setPosition("00").setSequence(++sequence)
                                    .setSnapshot(false).setTxId(null).build()).build(), now);
                    n++;
                }
            }
            producer.flush();
        }
        return n;
    }

    private static SourceInfo pg(final String table, final long ts, final long lsn) {
        return SourceInfo.newBuilder().setConnector("postgresql").setDb("postgres").setTable(table).setCommitTsMs(ts)
                .setPosition(Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xFFFFFFFFL)
                        .toUpperCase()).setSequence(lsn).setSnapshot(false).setTxId(null).build();
    }

    private static final Map<String, Serializer<?>[]> SERIALIZERS = new HashMap<>();
    /** Per producer: each change to its customer's partition (CustomerPartitioner), partition counts read once. */
    private static final Map<KafkaProducer<?, ?>, ChangeRouter> ROUTERS = new WeakHashMap<>();

    @SuppressWarnings("unchecked")
    private static <K extends SpecificRecord, V extends SpecificRecord> void send(
            final KafkaProducer<byte[], byte[]> producer, final RegistrySerdes registry, final Topic<K, V> topic,
            final K key, final V value, final long ts) {
        // Serde set-up is costly (registry client, schema parsing): once per topic, not per record.
        final Serializer<?>[] pair = SERIALIZERS.computeIfAbsent(topic.name(), n -> new Serializer<?>[] {
            RegistrySerdes.keySerde(topic).serializer(), registry.valueSerde(topic).serializer()});
        final Serializer<K> keys = (Serializer<K>) pair[0];
        final Serializer<V> values = (Serializer<V>) pair[1];
        ROUTERS.computeIfAbsent(producer, ChangeRouter::of).send(producer, topic.name(),
                ChangeRouter.routedBy(key, value), ts,
                keys.serialize(topic.name(), key), values.serialize(topic.name(), value), null);
    }
}
