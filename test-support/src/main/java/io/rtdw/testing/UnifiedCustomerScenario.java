package io.rtdw.testing;

import io.rtdw.catalog.Topic;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import io.rtdw.serde.RegistrySerdes;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Writes unified customer records to the output topic the way the streams app does (transactional, registry-framed
 * Avro values, Avro keys, deletes as a deleted record followed by a tombstone, versions growing by one per
 * customer) and keeps the oracle: the latest committed record per customer.
 *
 * <p>It also remembers where each committed record landed (partition, offset): the exact set of rows the
 * changelog files must hold. Values are drawn from small sets so that BI group-bys have several rows per group; a
 * customer may have two flights on the same airline, which checks how multi-value group-bys count. Shared by the
 * Pinot and lake-sink tests.
 */
public final class UnifiedCustomerScenario implements AutoCloseable {

    public static final List<String> PROFESSIONS = List.of("engineer", "teacher", "nurse", "pilot", "lawyer");
    public static final List<String> AIRLINES = List.of("LATAM", "GOL", "Azul", "TAP", "American Airlines");
    /** IATA codes ({@code iata_code}); the airport field holds the name at the same index, as the sources do. */
    public static final List<String> AIRPORTS = List.of("GRU", "GIG", "BSB", "LIS", "MIA");
    public static final List<String> AIRPORT_NAMES = List.of("Guarulhos", "Galeão", "Brasília", "Lisboa", "Miami");
    public static final List<String> MAKERS = List.of("Fiat", "VW", "Toyota", "Honda");
    public static final List<String> CATEGORIES = List.of("hatch", "sedan", "SUV", "pickup");
    /** A value only aborted transactions carry: it must never be visible. */
    public static final String ABORTED = "ABORTED";

    private final Topic<CustomerKey, UnifiedCustomer> topic;
    private final KafkaProducer<CustomerKey, UnifiedCustomer> producer;
    private final Random random = new Random(42);
    private final Map<Integer, Long> versions = new HashMap<>();
    private final Map<Integer, UnifiedCustomer> committed = new TreeMap<>();
    private final Map<Integer, UnifiedCustomer> pending = new HashMap<>();
    private long clock = Instant.parse("2026-11-19T22:00:00Z").toEpochMilli();
    private int nextFlightId = 1;
    private int nextVehicleId = 1;
    private int committedValues;
    private int pendingValues;
    private final Map<String, UnifiedCustomer> committedRows = new TreeMap<>();
    private final Map<String, UnifiedCustomer> pendingRows = new HashMap<>();

    public UnifiedCustomerScenario(final String bootstrapServers, final Topic<CustomerKey, UnifiedCustomer> topic,
                            final String transactionalId, final RegistrySerdes serdes) {
        this.topic = topic;
        final Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        this.producer = new KafkaProducer<>(props, RegistrySerdes.keySerde(topic).serializer(),
                serdes.valueSerde(topic).serializer());
        producer.initTransactions();
    }

    /** One committed transaction that creates or updates {@code ids}. */
    public synchronized void upsert(final List<Integer> ids) {
        transaction(() -> ids.forEach(id -> send(id, customer(id, null))), true);
    }

    /** One aborted transaction that writes {@link #ABORTED} values for {@code ids}. */
    public synchronized void abortedUpsert(final List<Integer> ids) {
        transaction(() -> ids.forEach(id -> send(id, customer(id, ABORTED))), false);
    }

    /** One committed transaction that deletes {@code ids}: deleted record, then tombstone. */
    public synchronized void delete(final List<Integer> ids) {
        transaction(() -> ids.forEach(id -> {
            send(id, UnifiedCustomer.newBuilder().setCustomerId(id).setDeleted(true).setVersion(nextVersion(id))
                    .setSourceTsMs(Instant.ofEpochMilli(tick())).setFlights(List.of()).setVehicles(List.of()).build());
            send(id, null);
        }), true);
    }

    private void transaction(final Runnable body, final boolean commit) {
        final Map<Integer, Long> versionsBefore = new HashMap<>(versions);
        producer.beginTransaction();
        body.run();
        try {
            producer.flush();
        } catch (final RuntimeException e) {
            throw new IllegalStateException(e);
        }
        if (commit) {
            producer.commitTransaction();
            committed.putAll(pending);
            committedValues += pendingValues;
            committedRows.putAll(pendingRows);
        } else {
            producer.abortTransaction();
            // The streams app re-processes after an abort and writes the same versions again.
            versions.clear();
            versions.putAll(versionsBefore);
        }
        pending.clear();
        pendingValues = 0;
        pendingRows.clear();
    }

    private void send(final int id, final UnifiedCustomer value) {
        try {
            final RecordMetadata metadata = producer.send(new ProducerRecord<>(topic.name(), new CustomerKey(id), value)).get();
            if (value != null) {
                pendingRows.put(metadata.partition() + ":" + metadata.offset(), value);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (final ExecutionException e) {
            throw new IllegalStateException(e);
        }
        // A tombstone follows a deleted record: the latest record of the customer stays the deleted one.
        if (value != null) {
            pending.put(id, value);
            pendingValues++;
        }
    }

    private long nextVersion(final int id) {
        return versions.merge(id, 1L, Long::sum);
    }

    private long tick() {
        // 7 minutes per record: the scenario crosses midnight UTC, so changelog files span several change dates.
        clock += 7 * 60_000L;
        return clock;
    }

    private UnifiedCustomer customer(final int id, final String poison) {
        final long ts = tick();
        final List<UnifiedFlight> flights = new ArrayList<>();
        final int flightCount = random.nextInt(4);
        for (int i = 0; i < flightCount; i++) {
            final int airport = random.nextInt(AIRPORTS.size());
            flights.add(UnifiedFlight.newBuilder().setFlightId(nextFlightId++)
                    .setAirline(poison != null ? poison : pick(AIRLINES)).setAirport(AIRPORT_NAMES.get(airport))
                    .setIataCode(AIRPORTS.get(airport)).setUpdatedAt(LocalDateTime.of(2026, 11, 20, 10, 0))
                    .setSourceTsMs(Instant.ofEpochMilli(ts)).build());
        }
        final List<UnifiedVehicle> vehicles = new ArrayList<>();
        final int vehicleCount = random.nextInt(3);
        for (int i = 0; i < vehicleCount; i++) {
            vehicles.add(UnifiedVehicle.newBuilder().setVehicleId(nextVehicleId++)
                    .setMaker(poison != null ? poison : pick(MAKERS)).setCategory(pick(CATEGORIES))
                    .setModel("model-" + random.nextInt(5)).setModelYear("2020").setVehicleYear(2019)
                    .setUpdatedAt(Instant.ofEpochMilli(ts)).setSourceTsMs(Instant.ofEpochMilli(ts)).build());
        }
        return UnifiedCustomer.newBuilder().setCustomerId(id).setDeleted(false).setVersion(nextVersion(id))
                .setSourceTsMs(Instant.ofEpochMilli(ts))
                .setName("customer " + id + " v" + versions.get(id)).setGender(random.nextBoolean() ? "F" : "M")
                .setEmail("c" + id + "@example.com").setPhone("+55 11 9" + id)
                .setAddress("street " + id).setPhotoUrl("https://example.com/" + id + ".png")
                .setBirthDate(LocalDate.of(1980 + id % 30, 1 + id % 12, 1 + id % 28))
                .setProfession(poison != null ? poison : pick(PROFESSIONS))
                .setUpdatedAt(LocalDateTime.ofInstant(Instant.ofEpochMilli(ts), java.time.ZoneOffset.UTC))
                .setFlightCount(flights.size()).setVehicleCount(vehicles.size())
                .setFlights(flights).setVehicles(vehicles).build();
    }

    private String pick(final List<String> values) {
        return values.get(random.nextInt(values.size()));
    }

    /** Latest committed record per customer, deleted ones included (as deleted records). */
    public synchronized Map<Integer, UnifiedCustomer> latest() {
        return new TreeMap<>(committed);
    }

    /** Live customers: the default view. */
    public synchronized Map<Integer, UnifiedCustomer> live() {
        return committed.values().stream().filter(c -> !c.getDeleted())
                .collect(Collectors.toMap(UnifiedCustomer::getCustomerId, Function.identity(), (a, b) -> a, TreeMap::new));
    }

    /** Committed records with a value, by {@code "partition:offset"}. */
    public synchronized Map<String, UnifiedCustomer> committedRows() {
        return new TreeMap<>(committedRows);
    }

    /** Number of committed records with a value (tombstones excluded): what Pinot ingests. */
    public synchronized int committedValues() {
        return committedValues;
    }

    @Override
    public void close() {
        producer.close();
    }
}
