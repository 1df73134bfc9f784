package io.rtdw.testing;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.test.TestKitNodes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A {@link KafkaTestCluster} secured like production: clients reach the brokers only through a {@code SASL_SSL}
 * listener ({@value #LISTENER}) with SCRAM-SHA-512 logins, and every request is checked by KRaft's
 * {@code StandardAuthorizer} with {@code allow.everyone.if.no.acl.found=false}: a user may do only what an ACL
 * grants. {@code User:}{@value #ADMIN} is the one super user clients can log in as (topics, ACLs, users).
 *
 * <p>Inside the cluster (broker to broker, broker to controller) the test kit's own authenticated listeners are kept:
 * {@code SASL_PLAINTEXT} with PLAIN and the test kit's {@code plain-admin} super user, over loopback. Production
 * (Strimzi) uses mutual TLS there; the clients' side, which this class exists to prove, is the same.
 *
 * <p>The TLS key pair is made at start with the JDK's {@code keytool} (a self-signed certificate for
 * {@code localhost}, valid 2 days) in {@code dir}; passwords are random per run. Nothing secret is in the repository.
 */
public final class SecuredKafka implements AutoCloseable {

    /** The clients' listener. */
    public static final String LISTENER = "SECURE";
    /** The super user clients log in as. */
    public static final String ADMIN = "admin";
    /** The test kit's inter-broker super user (its listener is not the clients'). */
    private static final String KIT_ADMIN = "plain-admin";
    public static final String MECHANISM = ScramMechanism.SCRAM_SHA_512.mechanismName();
    private static final String KIT_LISTENER = "EXTERNAL";
    private static final String KIT_CONTROLLER_LISTENER = "CONTROLLER";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KafkaTestCluster cluster;
    private final Path truststore;
    private final String truststorePassword;
    private final String adminPassword;
    private final Admin admin;

    private SecuredKafka(final KafkaTestCluster cluster, final Path truststore, final String truststorePassword,
                         final String adminPassword) {
        this.cluster = cluster;
        this.truststore = truststore;
        this.truststorePassword = truststorePassword;
        this.adminPassword = adminPassword;
        this.admin = Admin.create(adminClientConfig());
    }

    /** Makes the TLS material in {@code dir}, starts the cluster, creates the admin login and waits until it works. */
    public static SecuredKafka start(final Path dir) {
        final String storePassword = randomSecret();
        final Path keystore = dir.resolve("broker-keystore.p12");
        final Path truststore = dir.resolve("truststore.p12");
        makeTlsMaterial(dir, keystore, truststore, storePassword);

        final Map<String, String> config = new HashMap<>();
        config.put("listener.security.protocol.map", KIT_LISTENER + ":SASL_PLAINTEXT," + KIT_CONTROLLER_LISTENER
                + ":SASL_PLAINTEXT," + LISTENER + ":SASL_SSL");
        config.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        config.put("allow.everyone.if.no.acl.found", "false");
        config.put("super.users", "User:" + KIT_ADMIN + ";User:" + ADMIN);
        final String secure = "listener.name." + LISTENER.toLowerCase(java.util.Locale.ROOT) + ".";
        config.put(secure + "sasl.enabled.mechanisms", MECHANISM);
        config.put(secure + MECHANISM.toLowerCase(java.util.Locale.ROOT) + ".sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        config.put(secure + "ssl.keystore.location", keystore.toString());
        config.put(secure + "ssl.keystore.type", "PKCS12");
        config.put(secure + "ssl.keystore.password", storePassword);
        config.put(secure + "ssl.key.password", storePassword);
        config.put(secure + "ssl.client.auth", "none");

        final Map<Integer, Map<String, String>> perBroker = new TreeMap<>();
        for (int id = 0; id < KafkaTestCluster.BROKERS; id++) {
            // The test kit's listener keeps its pre-bound port (its socket factory ignores the 0); ours gets any port.
            perBroker.put(id, Map.of("listeners", KIT_LISTENER + "://localhost:0," + LISTENER + "://localhost:0"));
        }
        final TestKitNodes.Builder nodes = new TestKitNodes.Builder()
                .setBrokerSecurityProtocol(SecurityProtocol.SASL_PLAINTEXT)
                .setControllerSecurityProtocol(SecurityProtocol.SASL_PLAINTEXT)
                .setPerServerProperties(perBroker);
        final KafkaTestCluster cluster = KafkaTestCluster.start(config, nodes);
        try {
            final String adminPassword = randomSecret();
            upsertScram(cluster.admin(), ADMIN, adminPassword);
            final SecuredKafka secured = new SecuredKafka(cluster, truststore, storePassword, adminPassword);
            secured.awaitLogin(ADMIN, adminPassword);
            return secured;
        } catch (final RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** A random password (hex, 32 characters). */
    public static String randomSecret() {
        final byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** The underlying cluster (its own admin client uses the internal listener as the test kit's super user). */
    public KafkaTestCluster cluster() {
        return cluster;
    }

    /** Bootstrap servers of the {@code SASL_SSL} listener. */
    public String bootstrapServers() {
        return cluster.bootstrapServers(LISTENER);
    }

    /** An admin client logged in as {@value #ADMIN} over {@code SASL_SSL}, closed with this cluster. */
    public Admin admin() {
        return admin;
    }

    public Path truststore() {
        return truststore;
    }

    public String truststorePassword() {
        return truststorePassword;
    }

    /** Creates (or changes the password of) a SCRAM-SHA-512 user; returns a random password, usable once it works. */
    public String createUser(final String user) {
        final String password = randomSecret();
        upsertScram(admin, user, password);
        awaitLogin(user, password);
        return password;
    }

    /** Client properties for {@code user} on the {@code SASL_SSL} listener (bootstrap servers included). */
    public Map<String, Object> clientConfig(final String user, final String password) {
        final Map<String, Object> c = new HashMap<>();
        c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        c.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, SecurityProtocol.SASL_SSL.name);
        c.put(SaslConfigs.SASL_MECHANISM, MECHANISM);
        c.put(SaslConfigs.SASL_JAAS_CONFIG, jaas(user, password));
        c.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, truststore.toString());
        c.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PKCS12");
        c.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, truststorePassword);
        return c;
    }

    /** Client properties of the {@value #ADMIN} super user (to read what the services wrote, as an operator would). */
    public Map<String, Object> adminClientConfig() {
        return clientConfig(ADMIN, adminPassword);
    }

    /** The SCRAM login module line of {@code user}, as {@code sasl.jaas.config} takes it. */
    public static String jaas(final String user, final String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    private void awaitLogin(final String user, final String password) {
        // SCRAM credentials reach each broker through the metadata log: a login can fail for a moment after upsert.
        final Map<String, Object> config = new HashMap<>(clientConfig(user, password));
        config.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
        config.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        final List<String> brokers = List.of(bootstrapServers().split(","));
        for (final String broker : brokers) {
            config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker);
            while (true) {
                try (Admin probe = Admin.create(config)) {
                    // Any answer proves the login; an unauthorized describe (no ACL yet) is fine too.
                    probe.describeCluster().clusterId().get(10, TimeUnit.SECONDS);
                    break;
                } catch (final java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.SaslAuthenticationException)
                            && !(e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException)) {
                        break;
                    }
                } catch (final java.util.concurrent.TimeoutException e) {
                    // retry
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(user + " cannot log in at " + broker + " after 60 s");
                }
                TestFiles.sleep(200);
            }
        }
    }

    private static void upsertScram(final Admin admin, final String user, final String password) {
        try {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password))).all()
                    .get(30, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (final Exception e) {
            throw new IllegalStateException("cannot create the SCRAM user " + user, e);
        }
    }

    /** A self-signed key pair for localhost in a PKCS12 keystore, and a truststore holding its certificate. */
    private static void makeTlsMaterial(final Path dir, final Path keystore, final Path truststore,
                                        final String password) {
        final String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        final Path certificate = dir.resolve("broker.crt");
        try {
            Files.createDirectories(dir);
            for (final Path p : List.of(keystore, truststore, certificate)) {
                Files.deleteIfExists(p);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        run(List.of(keytool, "-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", password,
                "-keypass", password));
        run(List.of(keytool, "-exportcert", "-rfc", "-alias", "broker", "-keystore", keystore.toString(),
                "-storepass", password, "-file", certificate.toString()));
        run(List.of(keytool, "-importcert", "-noprompt", "-alias", "rtdw-test-ca", "-file", certificate.toString(),
                "-storetype", "PKCS12", "-keystore", truststore.toString(), "-storepass", password));
    }

    private static void run(final List<String> command) {
        try {
            final Process p = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
            final String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("keytool failed: " + command.get(1) + "\n" + out);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
        cluster.close();
    }
}
