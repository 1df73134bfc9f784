package io.rtdw.bench.jmh;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.Customer;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.topology.CustomerJoiner;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * CPU cost per record of the streams app's hot paths, to tell whether the pipeline could be CPU-bound on them:
 * decoding a CDC value (registry-framed Avro), building the unified record (the topology's {@link CustomerJoiner}),
 * writing and reading one child's item in the join's store (registry-framed state serde: the whole per-child cost
 * since 0.2, where 0.1 rewrote the customer's child list), and encoding the output.
 *
 * <pre>
 * java -cp "$CP" org.openjdk.jmh.Main HotPathBenchmark -f 1 -wi 2 -i 3 -w 2s -r 2s
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class HotPathBenchmark {

    private final TopicCatalog catalog = TopicCatalog.DEFAULT;
    private Deserializer<CustomerChange> changeDecoder;
    private Serializer<UnifiedCustomer> outputEncoder;
    private Serde<UnifiedFlight> items;
    private byte[] changeBytes;
    private byte[] itemBytes;
    private CustomerChange change;
    private List<UnifiedFlight> flights;
    private List<UnifiedVehicle> vehicles;
    private UnifiedCustomer output;

    @Setup
    public void setUp() {
        final RegistrySerdes registry = RegistrySerdes.embedded();
        changeDecoder = registry.valueSerde(catalog.customers()).deserializer();
        outputEncoder = registry.valueSerde(catalog.unifiedCustomers()).serializer();
        items = registry.state(UnifiedFlight.class);
        final Customer row = Customer.newBuilder().setId(1234).setNome("Gabriela Nascimento").setSexo("F")
                .setEndereco("Rua XV de Novembro, 1234 - Curitiba").setTelefone("+55 11 91234-5678")
                .setEmail("gabriela.nascimento1234@example.com").setFoto("https://img.example.com/u/1234.jpg")
                .setNascimento(LocalDate.of(1985, 5, 17)).setProfissao("Analista de Dados")
                .setDtUpdate(LocalDateTime.of(2024, 1, 1, 9, 0)).build();
        change = CustomerChange.newBuilder().setOp(Op.UPDATE).setBefore(row).setAfter(row)
                .setSource(SourceInfo.newBuilder().setConnector("postgresql").setDb("postgres")
                        .setTable("public.customers").setCommitTsMs(System.currentTimeMillis()).setPosition("0/16B3748")
                        .setSequence(23_803_720L).setSnapshot(false).setTxId("771").build()).build();
        changeBytes = registry.valueSerde(catalog.customers()).serializer().serialize(catalog.customers().name(), change);
        flights = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            flights.add(UnifiedFlight.newBuilder().setFlightId(100 + i).setAirport("Guarulhos").setAirline("LATAM")
                    .setIataCode("GRU").setUpdatedAt(LocalDateTime.of(2024, 1, 1, 8, 0)).setSourceTsMs(Instant.now()).build());
        }
        vehicles = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            vehicles.add(UnifiedVehicle.newBuilder().setVehicleId(200 + i).setModelYear("2021").setModel("Onix")
                    .setMaker("Chevrolet").setVehicleYear(2020).setCategory("Hatch").setUpdatedAt(Instant.now())
                    .setSourceTsMs(Instant.now()).build());
        }
        itemBytes = items.serializer().serialize("store", flights.get(0));
        output = joinCustomer();
    }

    /** Consuming one CDC record: registry framing + Avro decode into the generated class. */
    @Benchmark
    public CustomerChange decodeCdcValue() {
        return changeDecoder.deserialize(catalog.customers().name(), changeBytes);
    }

    /** Building the unified record from the customer and its children. */
    @Benchmark
    public UnifiedCustomer joinCustomer() {
        return CustomerJoiner.unified(change.getAfter(), Instant.ofEpochMilli(change.getSource().getCommitTsMs()),
                flights, flights.size(), vehicles, vehicles.size());
    }

    /** One child change: its item read back from the store and written anew (one item, whatever the family). */
    @Benchmark
    public byte[] childItemReadWrite() {
        final UnifiedFlight item = items.deserializer().deserialize("store", itemBytes);
        return items.serializer().serialize("store", item);
    }

    /** Producing one output record: Avro encode + registry framing. */
    @Benchmark
    public byte[] encodeOutput() {
        return outputEncoder.serialize(catalog.unifiedCustomers().name(), output);
    }
}
