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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

import static io.rtdw.k8s.Resources.limit;
import static io.rtdw.k8s.Resources.quantity;
import static io.rtdw.k8s.Resources.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The prod overlay equals the production sizing table of k8s/README.md, row by row, with the open replacements
 * named there; the dev overlay fits a single-node k3s (4 cores, 16 GiB); memory limits of our JVMs are derived
 * from their bounds ({@link MemoryBudget}).
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

    /**
     * The row's "2 MinIO" is deployed as 4 pods of one drive: one erasure set of 4 drives whose write quorum
     * survives one pod down (k8s/README.md). The quorum arithmetic is MinIO's: default parity for a set of N drives
     * (2 for 4 to 5 drives), reads need N - parity drives, writes N - parity, plus one when parity is half the set.
     */
    @Test
    void minioRowIsFourPodsWhoseWriteQuorumSurvivesOnePod() {
        final StatefulSet minio = Overlays.get(PROD, StatefulSet.class, "minio");
        final int pods = minio.getSpec().getReplicas();
        final Container c = minio.getSpec().getTemplate().getSpec().getContainers().get(0);
        cpu("minio", c.getResources(), "2", "2");
        final String args = String.join(" ", c.getArgs());
        assertTrue(args.contains("http://minio-{0..." + (pods - 1) + "}.minio."), "distributed over every pod: " + args);
        final int drivesPerPod = minio.getSpec().getVolumeClaimTemplates().size();
        final int drives = pods * drivesPerPod;
        final int parity = drives <= 1 ? 0 : drives <= 3 ? 1 : drives <= 5 ? 2 : drives <= 7 ? 3 : 4;
        final int writeQuorum = drives - parity + (2 * parity == drives ? 1 : 0);
        assertTrue(drives - drivesPerPod >= writeQuorum, pods + " pods x " + drivesPerPod + " drives: one pod down leaves "
                + (drives - drivesPerPod) + " drives, the write quorum is " + writeQuorum);
        assertEquals(4, pods);
    }

    @Test
    void lensesRowIsTwoKafkaUisWithTwoCpus() {
        final Deployment ui = Overlays.get(PROD, Deployment.class, "kafka-ui");
        assertEquals(2, ui.getSpec().getReplicas());
        cpu("kafka-ui", ui.getSpec().getTemplate().getSpec().getContainers().get(0).getResources(), "2", "2");
    }

    /**
     * Every pod of dev, including the ones Strimzi creates from the custom resources, fits a single 4-core, 16 GiB
     * k3s node with 3 GiB left to k3s and the system: requests and limits of the long-running pods at most 13 GiB
     * each, and at most 14 GiB while the install Jobs run beside them.
     */
    @Test
    void devFitsASingleSixteenGibNode() {
        final Totals running = Totals.of("dev", false);
        final Totals install = Totals.of("dev", true);
        System.out.printf("dev long-running: requests %.2f GiB, limits %.2f GiB, %s cores requested; with the install "
                + "Jobs: requests %.2f GiB, limits %.2f GiB%n", gib(running.requestMemory), gib(running.limitMemory),
                running.requestCpu.toPlainString(), gib(install.requestMemory), gib(install.limitMemory));
        final Totals prod = Totals.of(PROD, false);
        System.out.printf("prod long-running: requests %.2f GiB, limits %.2f GiB, %s cores requested, %s cores limit%n",
                gib(prod.requestMemory), gib(prod.limitMemory), prod.requestCpu.toPlainString(), prod.limitCpu.toPlainString());
        assertTrue(running.requestCpu.compareTo(quantity("4")) <= 0, "dev CPU requests " + running.requestCpu + " > 4 cores");
        assertTrue(running.requestMemory.compareTo(quantity("13Gi")) <= 0, "dev memory requests " + gib(running.requestMemory) + " GiB > 13 GiB");
        assertTrue(running.limitMemory.compareTo(quantity("13Gi")) <= 0, "dev memory limits " + gib(running.limitMemory) + " GiB > 13 GiB");
        assertTrue(install.limitMemory.compareTo(quantity("14Gi")) <= 0, "dev memory limits with the install Jobs "
                + gib(install.limitMemory) + " GiB > 14 GiB");
        assertTrue(Overlays.find("dev", StatefulSet.class, "ksqldb").isEmpty(), "no ksqlDB in dev");
    }

    /** The sums count Strimzi's pods: a pool's pods, the Topic and User Operators, the Kafka Exporter, bridges. */
    @Test
    void theTotalsCountEveryPodStrimziCreates() {
        final Totals dev = Totals.of("dev", false);
        final KafkaNodePool brokers = Overlays.get("dev", KafkaNodePool.class, "brokers");
        final BigDecimal oneBroker = limit(brokers.getSpec().getResources(), "memory");
        assertEquals(brokers.getSpec().getReplicas(), (int) dev.pods.stream().filter(p -> p.equals("KafkaNodePool/brokers")).count());
        assertTrue(dev.pods.contains("Kafka/rtdw topic operator") && dev.pods.contains("Kafka/rtdw kafka exporter"), dev.pods.toString());
        assertTrue(dev.limitMemory.compareTo(oneBroker.multiply(BigDecimal.valueOf(3))) > 0);
    }

    /**
     * Every JVM service of ours (every long-running container given RTDW_* settings) bounds each memory pool, and its memory limit is
     * derived from those bounds ({@link MemoryBudget}): at least the budget, at most a quarter above it. The
     * streams app's budget includes its RocksDB bound.
     */
    @ParameterizedTest(name = "{0}")
    @FieldSource("io.rtdw.k8s.Overlays#ALL")
    void ourJvmLimitsAreDerivedFromTheirBounds(final String overlay) {
        final Set<String> checked = new TreeSet<>();
        final List<String> problems = new ArrayList<>();
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            for (final Container c : w.pod().getContainers()) {
                if (!w.longRunning() || c.getEnv() == null || c.getEnv().stream().noneMatch(e -> e.getName().startsWith("RTDW_"))) {
                    continue;
                }
                final MemoryBudget budget = MemoryBudget.of(c, "streams-app".equals(w.owner().getMetadata().getName()));
                final BigDecimal limit = limit(c.getResources(), "memory");
                final BigDecimal need = BigDecimal.valueOf(budget.total());
                if (limit.compareTo(need) < 0 || limit.doubleValue() > need.doubleValue() * MemoryBudget.MAX_SLACK) {
                    problems.add(w.id() + ": limit " + limit.longValue() / MemoryBudget.MIB + " MiB, budget " + budget.explain()
                            + " (the limit must be between the budget and " + MemoryBudget.MAX_SLACK + " x the budget)");
                }
                checked.add(w.owner().getMetadata().getName());
            }
        }
        assertEquals(List.of(), problems, overlay);
        assertTrue(checked.containsAll(Set.of("streams-app", "cdc-postgres", "cdc-mongodb", "lake-sink")), overlay + ": " + checked);
    }

    /**
     * Third-party JVMs (their non-heap pools are theirs to bound): the limit leaves at least 192 MiB above the heap
     * for metaspace, code cache, threads and the collector.
     */
    @ParameterizedTest(name = "{0}")
    @FieldSource("io.rtdw.k8s.Overlays#ALL")
    void otherJvmsLeaveRoomAboveTheHeap(final String overlay) {
        final long room = 192 * MemoryBudget.MIB;
        final List<String> problems = new ArrayList<>();
        int checked = 0;
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            for (final Container c : w.allContainers()) {
                for (final String variable : List.of("JAVA_OPTS", "JAVA_OPTS_APPEND", "JVMFLAGS", "KSQL_HEAP_OPTS")) {
                    final String options = Resources.env(c, variable).map(e -> e.getValue()).orElse(null);
                    final Long heap = options == null ? null : MemoryBudget.flag(options, "-Xmx").orElse(null);
                    if (heap != null) {
                        checked++;
                        if (limit(c.getResources(), "memory").longValue() < heap + room) {
                            problems.add(w.id() + "/" + c.getName() + ": " + variable + " " + options);
                        }
                    }
                }
            }
        }
        for (final KafkaNodePool pool : Overlays.all(overlay, KafkaNodePool.class)) {
            checked++;
            final long heap = MemoryBudget.bytes(pool.getSpec().getJvmOptions().getXmx());
            if (limit(pool.getSpec().getResources(), "memory").longValue() < heap + room) {
                problems.add("KafkaNodePool/" + pool.getMetadata().getName() + ": -Xmx" + pool.getSpec().getJvmOptions().getXmx());
            }
        }
        assertEquals(List.of(), problems, overlay);
        assertTrue(checked >= 7, overlay + ": only " + checked + " JVMs found");
    }

    @Test
    void theBudgetFormulaReadsEveryBound() {
        final Container c = new io.fabric8.kubernetes.api.model.ContainerBuilder().withName("x")
                .addNewEnv().withName("JAVA_TOOL_OPTIONS").withValue("-Xmx1g -XX:MaxMetaspaceSize=128m "
                        + "-XX:MaxDirectMemorySize=64m -XX:ReservedCodeCacheSize=64m -Xmx2g").endEnv()
                .addNewEnv().withName("RTDW_ROCKSDB_MEMORY_MB").withValue("512").endEnv().build();
        final MemoryBudget b = MemoryBudget.of(c, true);
        assertEquals((2048 + 128 + 64 + 64 + 512 + 96 + 128) * MemoryBudget.MIB, b.total(), b.explain());
        assertEquals((2048 + 128 + 64 + 64 + 96 + 128) * MemoryBudget.MIB, MemoryBudget.of(c, false).total());
        final Container open = new io.fabric8.kubernetes.api.model.ContainerBuilder().withName("open")
                .addNewEnv().withName("JAVA_TOOL_OPTIONS").withValue("-Xmx1g -XX:MaxMetaspaceSize=128m").endEnv().build();
        final AssertionError error = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                () -> MemoryBudget.of(open, false));
        assertTrue(error.getMessage().contains("MaxDirectMemorySize"), error.getMessage());
        final Container defaults = new io.fabric8.kubernetes.api.model.ContainerBuilder().withName("d")
                .addNewEnv().withName("JAVA_TOOL_OPTIONS").withValue("-Xmx256m -XX:MaxMetaspaceSize=64m "
                        + "-XX:MaxDirectMemorySize=32m -XX:ReservedCodeCacheSize=32m").endEnv().build();
        assertEquals(Long.parseLong(io.rtdw.streams.config.StreamsSettings.ROCKSDB_MEMORY_MB.defaultValue()) * MemoryBudget.MIB,
                MemoryBudget.of(defaults, true).rocksDb(), "an unset RocksDB budget is the setting's default");
    }

    private static double gib(final BigDecimal bytes) {
        return bytes.doubleValue() / (1024.0 * 1024 * 1024);
    }

    /** Requests and limits of every pod an overlay makes, Strimzi's included, counted per pod (replicas). */
    static final class Totals {
        BigDecimal requestCpu = BigDecimal.ZERO;
        BigDecimal limitCpu = BigDecimal.ZERO;
        BigDecimal requestMemory = BigDecimal.ZERO;
        BigDecimal limitMemory = BigDecimal.ZERO;
        final List<String> pods = new ArrayList<>();

        static Totals of(final String overlay, final boolean withJobs) {
            final Totals t = new Totals();
            for (final Overlays.Workload w : Overlays.workloads(overlay)) {
                if (!w.longRunning() && !withJobs) {
                    continue;
                }
                final int replicas = w.owner() instanceof StatefulSet s ? s.getSpec().getReplicas()
                        : w.owner() instanceof Deployment d ? d.getSpec().getReplicas() : 1;
                // A pod's effective request is the larger of its containers' sum and its largest init container.
                final List<ResourceRequirements> main = w.pod().getContainers().stream().map(Container::getResources).toList();
                final List<ResourceRequirements> init = w.pod().getInitContainers() == null ? List.of()
                        : w.pod().getInitContainers().stream().map(Container::getResources).toList();
                for (int i = 0; i < replicas; i++) {
                    t.addPod(w.id(), main, init);
                }
            }
            for (final KafkaNodePool pool : Overlays.all(overlay, KafkaNodePool.class)) {
                for (int i = 0; i < pool.getSpec().getReplicas(); i++) {
                    // Strimzi's rack init container takes the pool's resources: the same as the broker container.
                    t.addPod("KafkaNodePool/" + pool.getMetadata().getName(), List.of(pool.getSpec().getResources()), List.of());
                }
            }
            final Kafka kafka = Overlays.get(overlay, Kafka.class, "rtdw");
            if (kafka.getSpec().getEntityOperator() != null) {
                final List<ResourceRequirements> operators = new ArrayList<>();
                if (kafka.getSpec().getEntityOperator().getTopicOperator() != null) {
                    operators.add(kafka.getSpec().getEntityOperator().getTopicOperator().getResources());
                    t.pods.add("Kafka/rtdw topic operator");
                }
                if (kafka.getSpec().getEntityOperator().getUserOperator() != null) {
                    operators.add(kafka.getSpec().getEntityOperator().getUserOperator().getResources());
                    t.pods.add("Kafka/rtdw user operator");
                }
                t.addPod("Kafka/rtdw entity operator", operators, List.of());
            }
            if (kafka.getSpec().getKafkaExporter() != null) {
                t.addPod("Kafka/rtdw kafka exporter", List.of(kafka.getSpec().getKafkaExporter().getResources()), List.of());
            }
            for (final KafkaBridge bridge : Overlays.all(overlay, KafkaBridge.class)) {
                for (int i = 0; i < bridge.getSpec().getReplicas(); i++) {
                    t.addPod("KafkaBridge/" + bridge.getMetadata().getName(), List.of(bridge.getSpec().getResources()), List.of());
                }
            }
            return t;
        }

        private void addPod(final String id, final List<ResourceRequirements> main, final List<ResourceRequirements> init) {
            pods.add(id);
            requestCpu = requestCpu.add(effective(main, init, "cpu", Resources::request));
            limitCpu = limitCpu.add(effective(main, init, "cpu", Resources::limit));
            requestMemory = requestMemory.add(effective(main, init, "memory", Resources::request));
            limitMemory = limitMemory.add(effective(main, init, "memory", Resources::limit));
        }

        private static BigDecimal effective(final List<ResourceRequirements> main, final List<ResourceRequirements> init,
                                            final String resource,
                                            final java.util.function.BiFunction<ResourceRequirements, String, BigDecimal> read) {
            BigDecimal sum = BigDecimal.ZERO;
            for (final ResourceRequirements r : main) {
                sum = sum.add(Objects.requireNonNull(read.apply(r, resource), "a container without " + resource));
            }
            for (final ResourceRequirements r : init) {
                sum = sum.max(Objects.requireNonNull(read.apply(r, resource), "an init container without " + resource));
            }
            return sum;
        }
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
