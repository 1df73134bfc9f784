package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.strimzi.api.kafka.model.bridge.KafkaBridge;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.kafka.JbodStorage;
import io.strimzi.api.kafka.model.kafka.PersistentClaimStorage;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.nodepool.ProcessRoles;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;

import static io.rtdw.k8s.Resources.limit;
import static io.rtdw.k8s.Resources.quantity;
import static io.rtdw.k8s.Resources.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The prod overlay equals the production sizing table of k8s/README.md, row by row, with the open replacements
 * named there; the dev overlay fits a single-node k3s (4 cores, 16 GiB).
 */
class SizingTest {

    private static final String PROD = "prod";

    @Test
    void zookeeperRowIsThreeKraftControllers() {
        final KafkaNodePool pool = Overlays.get(PROD, KafkaNodePool.class, "controllers");
        assertEquals(3, pool.getSpec().getReplicas());
        assertEquals(List.of(ProcessRoles.CONTROLLER), pool.getSpec().getRoles());
        cpu("controllers", pool.getSpec().getResources(), "2", "4");
        memory("controllers", pool.getSpec().getResources(), "16Gi");
        assertEquals(quantity("256Gi"), quantity(((PersistentClaimStorage) pool.getSpec().getStorage()).getSize()),
                "transaction log storage");
    }

    @Test
    void brokerRowIsThreeBrokersWithSixCpusThirtyTwoGibAndSixDisks() {
        final KafkaNodePool pool = Overlays.get(PROD, KafkaNodePool.class, "brokers");
        assertEquals(3, pool.getSpec().getReplicas());
        assertEquals(List.of(ProcessRoles.BROKER), pool.getSpec().getRoles());
        cpu("brokers", pool.getSpec().getResources(), "6", "6");
        memory("brokers", pool.getSpec().getResources(), "32Gi");
        final JbodStorage jbod = (JbodStorage) pool.getSpec().getStorage();
        assertEquals(6, jbod.getVolumes().size(), "6 x 1 TB");
        jbod.getVolumes().forEach(v -> assertEquals(quantity("1Ti"), quantity(((PersistentClaimStorage) v).getSize())));
    }

    @Test
    void schemaRegistryRowIsTwoApicurioRegistriesWithOneGibHeap() {
        final Deployment registry = Overlays.get(PROD, Deployment.class, "apicurio-registry");
        assertEquals(2, registry.getSpec().getReplicas());
        final Container c = registry.getSpec().getTemplate().getSpec().getContainers().get(0);
        cpu("registry", c.getResources(), "2", "4");
        assertTrue(Resources.envValue(c, "JAVA_OPTS_APPEND").contains("-Xmx1g"), "1 GB heap");
    }

    @Test
    void kafkaConnectRowIsTheTwoCdcProcessesWithTwoGibHeap() {
        final List<Deployment> cdc = Overlays.all(PROD, Deployment.class).stream()
                .filter(d -> "cdc".equals(d.getMetadata().getLabels().get("app.kubernetes.io/component"))).toList();
        assertEquals(2, cdc.stream().mapToInt(d -> d.getSpec().getReplicas()).sum(), "2 nodes");
        for (final Deployment d : cdc) {
            final Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
            cpu(d.getMetadata().getName(), c.getResources(), "2", "4");
            assertTrue(Resources.envValue(c, "JAVA_TOOL_OPTIONS").contains("-Xmx2g"), "2 GB heap");
        }
    }

    @Test
    void restProxyRowIsTwoHttpBridgesWithSixteenCpus() {
        final KafkaBridge bridge = Overlays.get(PROD, KafkaBridge.class, "rtdw");
        assertEquals(2, bridge.getSpec().getReplicas());
        cpu("bridge", bridge.getSpec().getResources(), "16", "16");
        assertEquals("536870912", String.valueOf(bridge.getSpec().getProducer().getConfig().get("buffer.memory")), "producer 512 MB");
        assertEquals("16777216", String.valueOf(bridge.getSpec().getConsumer().getConfig().get("fetch.max.bytes")), "consumer 16 MB");
    }

    @Test
    void ksqlDbRowIsTwoServersWithTenGibAnd128GibStorage() {
        final StatefulSet ksql = Overlays.get(PROD, StatefulSet.class, "ksqldb");
        assertEquals(2, ksql.getSpec().getReplicas());
        final Container c = ksql.getSpec().getTemplate().getSpec().getContainers().get(0);
        cpu("ksqldb", c.getResources(), "2", "2");
        memory("ksqldb", c.getResources(), "10Gi");
        assertEquals(quantity("128Gi"), Resources.amount(
                ksql.getSpec().getVolumeClaimTemplates().get(0).getSpec().getResources().getRequests(), "storage"));
    }

    @Test
    void databaseRowsAreOnePostgresAndOneMongoWithTwoCpus() {
        for (final String name : List.of("postgres", "mongodb")) {
            final StatefulSet db = Overlays.get(PROD, StatefulSet.class, name);
            assertEquals(1, db.getSpec().getReplicas(), name);
            cpu(name, db.getSpec().getTemplate().getSpec().getContainers().get(0).getResources(), "2", "2");
        }
        final Container pg = Overlays.get(PROD, StatefulSet.class, "postgres").getSpec().getTemplate().getSpec()
                .getContainers().get(0);
        assertTrue(String.join(" ", pg.getArgs()).contains("wal_level=logical"), "PostgreSQL with wal_level=logical");
        final String keep = pg.getArgs().stream().filter(a -> a.startsWith("max_slot_wal_keep_size=")).findFirst()
                .orElseThrow().substring("max_slot_wal_keep_size=".length()).replace("GB", "Gi");
        final StatefulSet pgSet = Overlays.get(PROD, StatefulSet.class, "postgres");
        assertTrue(quantity(keep).compareTo(Resources.amount(pgSet.getSpec().getVolumeClaimTemplates().get(0).getSpec()
                .getResources().getRequests(), "storage")) < 0, "retained WAL stays below the volume size");
        final Container mongo = Overlays.get(PROD, StatefulSet.class, "mongodb").getSpec().getTemplate().getSpec()
                .getContainers().get(0);
        assertTrue(String.join(" ", mongo.getArgs()).contains("--replSet rs0"), "MongoDB as a single-member replica set");
    }

    @Test
    void pinotRowIsThreePinotServers() {
        final StatefulSet server = Overlays.get(PROD, StatefulSet.class, "pinot-server");
        assertEquals(3, server.getSpec().getReplicas());
        cpu("pinot-server", server.getSpec().getTemplate().getSpec().getContainers().get(0).getResources(), "2", "4");
    }

    @Test
    void minioRowIsTwoMinioNodesWithTwoCpus() {
        final StatefulSet minio = Overlays.get(PROD, StatefulSet.class, "minio");
        assertEquals(2, minio.getSpec().getReplicas());
        final Container c = minio.getSpec().getTemplate().getSpec().getContainers().get(0);
        cpu("minio", c.getResources(), "2", "2");
        assertTrue(String.join(" ", c.getArgs()).contains("http://minio-{0...1}"), "distributed over both pods");
    }

    @Test
    void lensesRowIsTwoKafkaUisWithTwoCpus() {
        final Deployment ui = Overlays.get(PROD, Deployment.class, "kafka-ui");
        assertEquals(2, ui.getSpec().getReplicas());
        cpu("kafka-ui", ui.getSpec().getTemplate().getSpec().getContainers().get(0).getResources(), "2", "2");
    }

    /** Every pod of dev, including the ones Strimzi creates, fits a single 4-core, 16 GiB node by requests. */
    @Test
    void devFitsASingleNode() {
        final String dev = "dev";
        BigDecimal cpu = BigDecimal.ZERO;
        BigDecimal memory = BigDecimal.ZERO;
        for (final Overlays.Workload w : Overlays.workloads(dev)) {
            if (!w.longRunning()) {
                continue;
            }
            final int replicas = w.owner() instanceof StatefulSet s ? s.getSpec().getReplicas()
                    : ((Deployment) w.owner()).getSpec().getReplicas();
            for (final Container c : w.pod().getContainers()) {
                cpu = cpu.add(request(c.getResources(), "cpu").multiply(BigDecimal.valueOf(replicas)));
                memory = memory.add(request(c.getResources(), "memory").multiply(BigDecimal.valueOf(replicas)));
            }
        }
        for (final KafkaNodePool pool : Overlays.all(dev, KafkaNodePool.class)) {
            cpu = cpu.add(request(pool.getSpec().getResources(), "cpu").multiply(BigDecimal.valueOf(pool.getSpec().getReplicas())));
            memory = memory.add(request(pool.getSpec().getResources(), "memory").multiply(BigDecimal.valueOf(pool.getSpec().getReplicas())));
        }
        final Kafka kafka = Overlays.get(dev, Kafka.class, "rtdw");
        for (final ResourceRequirements r : List.of(kafka.getSpec().getEntityOperator().getTopicOperator().getResources(),
                kafka.getSpec().getEntityOperator().getUserOperator().getResources(),
                kafka.getSpec().getKafkaExporter().getResources())) {
            cpu = cpu.add(request(r, "cpu"));
            memory = memory.add(request(r, "memory"));
        }
        final KafkaBridge bridge = Overlays.get(dev, KafkaBridge.class, "rtdw");
        cpu = cpu.add(request(bridge.getSpec().getResources(), "cpu").multiply(BigDecimal.valueOf(bridge.getSpec().getReplicas())));
        memory = memory.add(request(bridge.getSpec().getResources(), "memory").multiply(BigDecimal.valueOf(bridge.getSpec().getReplicas())));
        System.out.printf("dev requests: %s cores, %.1f GiB%n", cpu.toPlainString(),
                memory.doubleValue() / (1024.0 * 1024 * 1024));
        assertTrue(cpu.compareTo(quantity("4")) <= 0, "dev CPU requests " + cpu + " > 4 cores");
        assertTrue(memory.compareTo(quantity("16Gi")) <= 0, "dev memory requests " + memory + " > 16 GiB");
        assertTrue(Overlays.find(dev, StatefulSet.class, "ksqldb").isEmpty(), "no ksqlDB in dev");
    }

    private static void cpu(final String what, final ResourceRequirements r, final String request, final String limit) {
        assertEquals(quantity(request), request(r, "cpu"), what + " CPU request");
        assertEquals(quantity(limit), limit(r, "cpu"), what + " CPU limit");
    }

    private static void memory(final String what, final ResourceRequirements r, final String amount) {
        assertEquals(quantity(amount), request(r, "memory"), what + " memory request");
        assertEquals(quantity(amount), limit(r, "memory"), what + " memory limit");
    }
}
