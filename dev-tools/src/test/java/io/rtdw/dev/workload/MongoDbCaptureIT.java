package io.rtdw.dev.workload;

import io.rtdw.runtime.OpsServer;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.testing.RegistryServer;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.CdcConfig;
import io.rtdw.cdc.mongodb.MongoCapture;
import io.rtdw.cdc.CdcProcess;
import io.rtdw.cdc.mongodb.Reactive;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.testing.KafkaTestCluster;
import io.rtdw.testing.TopicReader;
import io.rtdw.testing.WorkloadGenerator;
import io.rtdw.testing.WorkloadRunner;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.bson.Document;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real Debezium MongoDB connector against a real replica set, when {@code MONGODB_URI} names one (no MongoDB
 * can run on the build machines, so it is skipped there, saying so). Snapshot of existing documents, then
 * generated inserts, updates, replaces, deletes and moves: replaying the topic gives the collection's final state.
 *
 * <p>It lives in dev-tools because it writes the collection with the workload generator's {@link MongoApplier};
 * what it tests is cdc-sources' capture ({@code CdcProcess}, {@code MongoCapture}).
 *
 * <p>Run: {@code MONGODB_URI='mongodb://localhost:27017/?replicaSet=rs0' mvn -pl dev-tools -am verify
 * -Dit.test=MongoDbCaptureIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -DfailIfNoTests=false}
 */
class MongoDbCaptureIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void capturesTheVehicleCollectionFromARealReplicaSet() throws Exception {
        final String uri = System.getenv("MONGODB_URI");
        if (uri == null || uri.isBlank()) {
            System.out.println("MongoDbCaptureIT SKIPPED: MONGODB_URI is not set (no MongoDB can run here)");
        }
        Assumptions.assumeTrue(uri != null && !uri.isBlank(), "SKIPPED: MONGODB_URI is not set, so the real MongoDB "
                + "capture test did not run (no MongoDB can run on this machine; the mapping is covered by "
                + "DebeziumMongoEventMapperTest with recorded events). Set MONGODB_URI to a replica set to run it.");
        final String database = "rtdw_it_" + Long.toHexString(System.nanoTime());
        final TopicCatalog catalog = new TopicCatalog("mongoit", "public", database, 3, (short) 3);
        try (KafkaTestCluster kafka = KafkaTestCluster.start();
             MongoApplier mongo = new MongoApplier(uri, database)) {
            kafka.createTopics(List.of(catalog.vehicles(), catalog.cdcDeadLetters(), catalog.cdcOffsets()));
            // The capture needs pre-images on the collection (it refuses to start without them).
            MongoCapture.prepareCollection(uri, database);
            final WorkloadGenerator generator = new WorkloadGenerator(new WorkloadGenerator.Options(5, 0, 0, 10, 0.1,
                    true));
            // Only vehicle changes matter here; PostgreSQL kinds are ignored by the MongoDB applier.
            WorkloadRunner.run(generator, 10, 0, List.of(mongo)); // the snapshot sees these 10
            final Map<String, String> env = new HashMap<>();
            env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), kafka.bootstrapServers());
            env.put(CdcConfig.SOURCES.name(), "mongodb");
            env.put(CdcConfig.MONGODB_URI.name(), uri);
            env.put(OpsServer.HTTP_PORT.name(), "-1");
            env.put(TopicCatalog.PREFIX.name(), catalog.prefix());
            env.put(TopicCatalog.MONGO_DATABASE.name(), database);
            env.put(TopicCatalog.PARTITIONS.name(), "3");
            final AtomicReference<String> failure = new AtomicReference<>();
            try (CdcProcess cdc = CdcProcess.start(CdcConfig.fromEnv(env), RegistryServer.shared().serdes(),
                    (message, error) -> failure.set(message));
                 TopicReader<VehicleKey, VehicleChange> reader = new TopicReader<>(kafka.bootstrapServers(),
                         catalog.vehicles(), RegistryServer.shared().serdes().valueSerde(catalog.vehicles()).deserializer())) {
                final List<ConsumerRecord<VehicleKey, VehicleChange>> snapshot = reader.readUntil(
                        rs -> rs.size() >= 10 || failure.get() != null, Duration.ofSeconds(120));
                assertNull(failure.get());
                assertEquals(10, snapshot.stream().filter(r -> r.value().getOp() == Op.READ).count());
                WorkloadRunner.run(generator, 300, 50, List.of(mongo));
                final Map<Integer, Integer> expected = generator.vehicles().entrySet().stream()
                        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().customerId()));
                final List<ConsumerRecord<VehicleKey, VehicleChange>> all = reader.readUntil(
                        rs -> VehicleTopic.owners(rs).equals(expected) || failure.get() != null, Duration.ofSeconds(120));
                assertNull(failure.get());
                assertEquals(expected, VehicleTopic.owners(all), "replaying the topic gives the collection's state");
                final Set<Op> ops = all.stream().map(r -> r.value().getOp()).collect(Collectors.toSet());
                assertEquals(Set.of(Op.READ, Op.CREATE, Op.UPDATE, Op.DELETE), ops);
                for (final ConsumerRecord<VehicleKey, VehicleChange> r : all) {
                    assertEquals(r.value().getSource().getCommitTsMs(), r.timestamp());
                    assertTrue(r.value().getSource().getSequence() > 0);
                }
            } finally {
                Reactive.first(mongo.collection().drop(), TIMEOUT);
            }
        }
    }
}
