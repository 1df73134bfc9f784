package io.rtdw.local;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.catalog.TopicProvisioner;
import io.rtdw.cdc.CdcConfig;
import io.rtdw.dev.workload.PostgresApplier;
import io.rtdw.lake.LakeSinkConfig;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.runtime.OpsServer;
import io.rtdw.runtime.ServiceMain;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.config.StreamsSettings;
import io.rtdw.testing.ChildJvm;
import io.rtdw.testing.ComponentAcls;
import io.rtdw.testing.Oracle;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.S3ProxyServer;
import io.rtdw.testing.SecuredKafka;
import io.rtdw.testing.WorkloadGenerator;
import io.rtdw.testing.WorkloadRunner;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The pipeline on a secured Kafka (issue 14): a {@code SASL_SSL} listener with SCRAM-SHA-512 logins and the ACL
 * authorizer ({@link SecuredKafka}). The real capture, streams app and lake sink run as their own JVMs, each with its
 * own user and only the grants of {@link ComponentAcls}, configured only through the environment; their password and
 * the truststore's come from a mounted-Secret-style file through Kafka's {@code FileConfigProvider}. Topics are
 * created beforehand by the admin, as Strimzi's {@code KafkaTopic}s are: no service may create them.
 *
 * <p>Proven: the output converges to the SQL join of PostgreSQL ({@link Oracle}, read back with SQL) and the lake
 * sink consumes all of it into Parquet files; then real clients are refused what they were not granted: a user
 * without grants cannot read the output, write a CDC topic or change a topic's configuration; the lake sink's user
 * cannot write the output; the streams app's user cannot use a transactional id outside its application id.
 */
class SecuredPipelineIT {

    private static final Duration LIMIT = Duration.ofMinutes(2);
    private static final String APPLICATION_ID = "rtdw-unified-customer";
    private static final String LAKE_GROUP = "rtdw-lake-sink";
    private static final String BUCKET = "rtdw-lake";
    private static final String FILE_PROVIDER = "org.apache.kafka.common.config.provider.FileConfigProvider";

    private final TopicCatalog catalog = new TopicCatalog("rtdw", "public", "rtdw", 3, (short) 3);
    private final List<ChildJvm> children = new ArrayList<>();
    private final Map<ChildJvm, Integer> httpPorts = new java.util.LinkedHashMap<>();

    @Test
    void pipelineConvergesWithItsOwnUsersAndWhatIsNotGrantedIsRefused() throws Exception {
        final Path work = Path.of(System.getProperty("rtdw.local.itDir", "target/it")).toAbsolutePath()
                .resolve("secured-" + System.currentTimeMillis());
        Files.createDirectories(work);
        final long began = System.nanoTime();
        try (SecuredKafka kafka = SecuredKafka.start(work.resolve("tls"));
             EmbeddedPostgres pg = EmbeddedPostgres.builder().setServerConfig("wal_level", "logical")
                     .setOutputRedirector(ProcessBuilder.Redirect.appendTo(work.resolve("postgres.log").toFile()))
                     .setErrorRedirector(ProcessBuilder.Redirect.appendTo(work.resolve("postgres.log").toFile()))
                     .start();
             S3ProxyServer s3 = S3ProxyServer.builder(work).buckets(BUCKET).log(work.resolve("s3proxy.log")).start()) {
            try {
                run(kafka, pg, s3, work, began);
            } finally {
                // The services stop before Kafka does (they would log connection errors to a closed cluster).
                children.forEach(ChildJvm::close);
            }
        }
    }

    private void run(final SecuredKafka kafka, final EmbeddedPostgres pg, final S3ProxyServer s3, final Path work,
                     final long began) throws Exception {
        final RegistryServer registry = RegistryServer.shared();
        System.out.printf("secured Kafka, PostgreSQL, s3proxy, registry up in %.1f s%n", seconds(began));

        // The admin creates every topic; the services only check that they exist.
        new TopicProvisioner(kafka.admin(), 60_000).ensure(catalog.all());
        final Map<String, String> passwords = new TreeMap<>();
        for (final String user : List.of("rtdw-cdc-postgres", "rtdw-streams", "rtdw-lake-sink", "intruder")) {
            passwords.put(user, kafka.createUser(user));
        }
        final List<AclBinding> acls = new ArrayList<>();
        acls.addAll(ComponentAcls.postgresCapture("rtdw-cdc-postgres", catalog));
        acls.addAll(ComponentAcls.streamsApp("rtdw-streams", catalog, APPLICATION_ID));
        acls.addAll(ComponentAcls.lakeSink("rtdw-lake-sink", catalog, LAKE_GROUP));
        kafka.admin().createAcls(acls).all().get(30, TimeUnit.SECONDS);

        child("cdc", "io.rtdw.cdc.CdcMain", serviceEnv(kafka, work, "rtdw-cdc-postgres", passwords, registry, Map.of(
                CdcConfig.SOURCES.name(), "postgres",
                CdcConfig.PG_HOST.name(), "localhost",
                CdcConfig.PG_PORT.name(), String.valueOf(pg.getPort()),
                CdcConfig.PG_DATABASE.name(), "postgres",
                CdcConfig.PG_USER.name(), "postgres",
                CdcConfig.PG_INIT_SCHEMA.name(), "true")), work);
        child("streams", "io.rtdw.streams.StreamsApp", serviceEnv(kafka, work, "rtdw-streams", passwords, registry,
                Map.of(StreamsSettings.APPLICATION_ID.name(), APPLICATION_ID,
                        StreamsSettings.STATE_DIR.name(), work.resolve("streams-state").toString(),
                        StreamsSettings.STANDBY_REPLICAS.name(), "0",
                        StreamsSettings.COMMIT_INTERVAL_MS.name(), "200",
                        StreamsSettings.MAX_CHILDREN.name(), "10000")), work);
        child("lake-sink", "io.rtdw.lake.LakeSinkMain", serviceEnv(kafka, work, "rtdw-lake-sink", passwords, registry,
                Map.of(LakeSinkConfig.S3_ENDPOINT.name(), s3.endpoint(),
                        LakeSinkConfig.S3_BUCKET.name(), BUCKET,
                        LakeSinkConfig.S3_ACCESS_KEY.name(), S3ProxyServer.ACCESS,
                        LakeSinkConfig.S3_SECRET_KEY.name(), S3ProxyServer.SECRET,
                        LakeSinkConfig.GROUP_ID.name(), LAKE_GROUP,
                        LakeSinkConfig.FLUSH_INTERVAL_MS.name(), "2000")), work);
        for (final Map.Entry<ChildJvm, Integer> service : httpPorts.entrySet()) {
            service.getKey().awaitHttp("http://localhost:" + service.getValue() + "/health/ready", LIMIT);
        }
        System.out.printf("capture, streams app, lake sink ready at %.1f s%n", seconds(began));

        // Source changes into PostgreSQL (the capture created the tables), then the oracle read back with SQL.
        final WorkloadGenerator generator = new WorkloadGenerator(new WorkloadGenerator.Options(14, 30, 40, 0,
                0.1, false));
        try (PostgresApplier applier = new PostgresApplier(pg.getPostgresDatabase().getConnection())) {
            WorkloadRunner.run(generator, 30 + 40 + 230, 0, List.of(applier));
        }
        final Oracle oracle;
        try (Connection sql = pg.getPostgresDatabase().getConnection()) {
            oracle = Oracle.fromPostgres(sql, List.of());
        }
        assertTrue(oracle.expected().size() > 5, "the workload leaves customers: " + oracle.expected().size());

        final Map<TopicPartition, Long> lastRecords = new HashMap<>();
        final Map<Integer, UnifiedCustomer> actual = awaitOutput(kafka, registry.serdes(), oracle, lastRecords);
        assertEquals(oracle.expected(), actual, "the output read as the admin = the SQL join of PostgreSQL");
        System.out.printf("output converged to the oracle (%d customers) at %.1f s%n", actual.size(),
                seconds(began));

        awaitLakeConsumedAll(kafka.admin(), s3.bucketDir(BUCKET), lastRecords);
        System.out.printf("lake sink committed the whole output and wrote Parquet at %.1f s%n", seconds(began));

        refusals(kafka, passwords);
        System.out.printf("refusals checked at %.1f s%n", seconds(began));
        for (final ChildJvm c : children) {
            assertTrue(c.isAlive(), c.name() + " exited: " + c.tail(20));
            assertTrue(!c.logText().contains("AuthorizationException"),
                    c.name() + " was refused something it needs:\n" + c.tail(40));
        }
    }

    /** What a user without grants, the lake sink's user and the streams app's user must not be able to do. */
    private void refusals(final SecuredKafka kafka, final Map<String, String> passwords) throws Exception {
        final Map<String, Object> intruder = kafka.clientConfig("intruder", passwords.get("intruder"));
        final String output = catalog.unifiedCustomers().name();

        // a service started with a user that lacks its grants is told so at start, not that its topics are missing
        final ServiceMain.SetupException setup = assertThrows(ServiceMain.SetupException.class,
                () -> TopicProvisioner.requireExisting(intruder, List.of(catalog.unifiedCustomers())));
        assertTrue(setup.getMessage().startsWith("not authorized to describe topics [" + output + "]"),
                setup.getMessage());

        // read: by assignment (topic ACL) and in a group (group ACL)
        final Map<String, Object> reader = new HashMap<>(intruder);
        reader.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(reader, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            c.assign(List.of(new TopicPartition(output, 0)));
            assertThrows(TopicAuthorizationException.class, () -> pollUntilError(c), "intruder read the output");
        }
        reader.put(ConsumerConfig.GROUP_ID_CONFIG, LAKE_GROUP);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(reader, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            c.subscribe(List.of(output));
            final AuthorizationException e = assertThrows(AuthorizationException.class, () -> pollUntilError(c),
                    "intruder joined the lake sink's group");
            assertTrue(e instanceof GroupAuthorizationException || e instanceof TopicAuthorizationException, e.toString());
        }

        // write a fake change event into a CDC topic
        final Map<String, Object> writer = new HashMap<>(intruder);
        writer.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        writer.put(ProducerConfig.ACKS_CONFIG, "all");
        writer.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        assertRefusedWrite(writer, catalog.customers().name(), "intruder wrote a CDC topic");
        // the lake sink's user may write its dead letters, not the output
        final Map<String, Object> lakeWriter = new HashMap<>(kafka.clientConfig("rtdw-lake-sink",
                passwords.get("rtdw-lake-sink")));
        lakeWriter.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        lakeWriter.put(ProducerConfig.ACKS_CONFIG, "all");
        assertRefusedWrite(lakeWriter, output, "the lake sink's user wrote the output");

        // a topic configuration change (lowering min.insync.replicas), by the intruder and by the streams app's user
        for (final String user : List.of("intruder", "rtdw-streams")) {
            try (Admin admin = Admin.create(kafka.clientConfig(user, passwords.get(user)))) {
                final ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, catalog.customers().name());
                final ExecutionException e = assertThrows(ExecutionException.class, () -> admin.incrementalAlterConfigs(
                        Map.of(topic, List.of(new AlterConfigOp(new ConfigEntry("min.insync.replicas", "1"),
                                AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS), user + " changed a config");
                assertInstanceOf(TopicAuthorizationException.class, e.getCause(), user);
            }
        }
        final ConfigResource customers = new ConfigResource(ConfigResource.Type.TOPIC, catalog.customers().name());
        assertEquals("2", kafka.admin().describeConfigs(List.of(customers)).all().get(30, TimeUnit.SECONDS)
                .get(customers).get("min.insync.replicas").value(), "min.insync.replicas unchanged");

        // the streams app's user: transactional ids under its application id only
        final Map<String, Object> tx = new HashMap<>(kafka.clientConfig("rtdw-streams", passwords.get("rtdw-streams")));
        tx.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        tx.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "rtdw-other-app-0-1");
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(tx, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            assertThrows(TransactionalIdAuthorizationException.class, p::initTransactions,
                    "the streams app's user used another application's transactional id");
        }
        // control: the same user and settings with an id under its prefix work, so the refusal above is the ACL's
        tx.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, APPLICATION_ID + "-acl-probe");
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(tx, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            p.initTransactions();
        }
    }

    private static void assertRefusedWrite(final Map<String, Object> config, final String topic, final String what) {
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(config, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            final ExecutionException e = assertThrows(ExecutionException.class,
                    () -> p.send(new ProducerRecord<>(topic, new byte[] {1}, new byte[] {1})).get(30, TimeUnit.SECONDS),
                    what);
            assertInstanceOf(TopicAuthorizationException.class, e.getCause(), what);
        }
    }

    /** Polls until the consumer throws (the refusal) or fails the test after 30 s of records or silence. */
    private static void pollUntilError(final KafkaConsumer<byte[], byte[]> consumer) {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!consumer.poll(Duration.ofMillis(500)).isEmpty()) {
                fail("records read without a grant");
            }
        }
        fail("no refusal within 30 s");
    }

    /**
     * The output's latest live record per customer, read as the admin, once it equals the oracle (or at the limit);
     * {@code lastRecords} gets the offset of the last committed record read per partition.
     */
    private Map<Integer, UnifiedCustomer> awaitOutput(final SecuredKafka kafka, final RegistrySerdes serdes,
                                                     final Oracle oracle, final Map<TopicPartition, Long> lastRecords) {
        final Topic<CustomerKey, UnifiedCustomer> topic = catalog.unifiedCustomers();
        final Map<String, Object> config = new HashMap<>(kafka.adminClientConfig());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        final Deserializer<CustomerKey> keys = RegistrySerdes.keySerde(topic).deserializer();
        final Deserializer<UnifiedCustomer> values = serdes.valueSerde(topic).deserializer();
        final Map<Integer, UnifiedCustomer> state = new TreeMap<>();
        try (KafkaConsumer<CustomerKey, UnifiedCustomer> consumer = new KafkaConsumer<>(config, keys, values)) {
            final List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < topic.partitions(); p++) {
                partitions.add(new TopicPartition(topic.name(), p));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final long deadline = System.nanoTime() + LIMIT.toNanos();
            final Map<Integer, UnifiedCustomer> expected = oracle.expected();
            while (System.nanoTime() < deadline) {
                for (final ConsumerRecord<CustomerKey, UnifiedCustomer> r : consumer.poll(Duration.ofMillis(500))) {
                    lastRecords.put(new TopicPartition(r.topic(), r.partition()), r.offset());
                    final int id = r.key().getId();
                    if (r.value() == null || r.value().getDeleted()) {
                        state.remove(id);
                    } else {
                        state.put(id, oracle.comparable(r.value()));
                    }
                }
                if (state.equals(expected)) {
                    break;
                }
                children.forEach(c -> assertTrue(c.isAlive(), c.name() + " exited:\n" + c.tail(30)));
            }
        }
        return state;
    }

    /**
     * Waits until the lake sink's group has committed past every record the admin read ({@code lastRecords}: the
     * sink commits the offset after its last record, not after a transaction marker) and a Parquet file exists.
     */
    private void awaitLakeConsumedAll(final Admin admin, final Path bucket, final Map<TopicPartition, Long> lastRecords)
            throws Exception {
        assertEquals(catalog.partitions(), lastRecords.size(), "records in every output partition: " + lastRecords);
        await("the lake sink's committed offsets past the output's last records " + lastRecords, () -> {
            try {
                final Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(LAKE_GROUP)
                        .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
                return lastRecords.entrySet().stream().allMatch(e -> committed.get(e.getKey()) != null
                        && committed.get(e.getKey()).offset() > e.getValue());
            } catch (final Exception e) {
                return false;
            }
        });
        await("a Parquet file in " + bucket, () -> {
            try (Stream<Path> files = Files.walk(bucket)) {
                return files.anyMatch(f -> f.toString().endsWith(".parquet"));
            } catch (final java.io.IOException | java.io.UncheckedIOException e) {
                return false;
            }
        });
    }

    private void await(final String what, final BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + LIMIT.toNanos();
        while (!condition.getAsBoolean()) {
            children.forEach(c -> assertTrue(c.isAlive(), c.name() + " exited:\n" + c.tail(30)));
            if (System.nanoTime() > deadline) {
                fail("no " + what + " after " + LIMIT);
            }
            Thread.sleep(250);
        }
    }

    /**
     * A service's environment: nothing of this JVM's, the secured listener's settings as {@code KAFKA_*} variables,
     * and the password and truststore password from a file as a mounted Kubernetes Secret would give it.
     */
    private Map<String, String> serviceEnv(final SecuredKafka kafka, final Path work, final String user,
                                           final Map<String, String> passwords, final RegistryServer registry,
                                           final Map<String, String> own) throws java.io.IOException {
        final Path secret = work.resolve("secrets").resolve(user).resolve("kafka.properties");
        Files.createDirectories(secret.getParent());
        Files.writeString(secret, "sasl.jaas.config=" + SecuredKafka.jaas(user, passwords.get(user)) + "\n"
                + "truststore.password=" + kafka.truststorePassword() + "\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        final Map<String, String> env = new HashMap<>();
        for (final String name : List.of("PATH", "HOME", "LANG", "TMPDIR")) {
            if (System.getenv(name) != null) {
                env.put(name, System.getenv(name));
            }
        }
        env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), kafka.bootstrapServers());
        env.put("KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
        env.put("KAFKA_SASL_MECHANISM", SecuredKafka.MECHANISM);
        env.put("KAFKA_CONFIG_PROVIDERS", "file");
        env.put("KAFKA_CONFIG_PROVIDERS_FILE_CLASS", FILE_PROVIDER);
        env.put("KAFKA_SASL_JAAS_CONFIG", "${file:" + secret + ":sasl.jaas.config}");
        env.put("KAFKA_SSL_TRUSTSTORE_LOCATION", kafka.truststore().toString());
        env.put("KAFKA_SSL_TRUSTSTORE_TYPE", "PKCS12");
        env.put("KAFKA_SSL_TRUSTSTORE_PASSWORD", "${file:" + secret + ":truststore.password}");
        env.put(RegistrySerdes.URL.name(), registry.url());
        env.put(TopicCatalog.PARTITIONS.name(), String.valueOf(catalog.partitions()));
        env.putAll(own);
        return env;
    }

    /** Starts a service with {@code env} and a free HTTP port for its health checks. */
    private void child(final String name, final String mainClass, final Map<String, String> env, final Path work) {
        final int port = ChildJvm.freePort();
        final ChildJvm child = ChildJvm.java(name, mainClass).heapMb(320).quickStart().onlyGivenEnv().env(env)
                .env(OpsServer.HTTP_PORT.name(), String.valueOf(port)).log(work.resolve(name + ".log")).start();
        children.add(child);
        httpPorts.put(child, port);
    }

    private static double seconds(final long began) {
        return (System.nanoTime() - began) / 1e9;
    }
}
