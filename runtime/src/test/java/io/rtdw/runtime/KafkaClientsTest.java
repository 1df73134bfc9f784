package io.rtdw.runtime;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KafkaClientsTest {

    @Test
    void passThroughReachesEveryKindOfClient() {
        final Env env = Env.of(Map.of("KAFKA_BOOTSTRAP_SERVERS", "k1:9093,k2:9093", "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512", "RTDW_MAX_IN_FLIGHT", "5"));
        final KafkaClients clients = KafkaClients.fromEnv(env);
        env.validate();
        for (final Map<String, Object> config : java.util.List.of(clients.producer("p"), clients.consumer("g"),
                clients.admin(), clients.common())) {
            assertEquals("k1:9093,k2:9093", config.get("bootstrap.servers"));
            assertEquals("SASL_SSL", config.get("security.protocol"));
            assertEquals("SCRAM-SHA-512", config.get("sasl.mechanism"));
        }
        assertEquals(5, clients.producer("p").get("max.in.flight.requests.per.connection"));
    }

    @Test
    void durabilityDefaultsAreExplicit() {
        final KafkaClients clients = KafkaClients.of("k:9092");
        assertEquals("all", clients.producer("p").get("acks"));
        assertEquals(true, clients.producer("p").get("enable.idempotence"));
        assertEquals(1, clients.producer("p").get("max.in.flight.requests.per.connection"));
        assertEquals("read_committed", clients.consumer("g").get("isolation.level"));
        assertEquals(false, clients.consumer("g").get("enable.auto.commit"));
        assertEquals("g", clients.consumer("g").get("group.id"));
        assertEquals("earliest", clients.consumer("g").get("auto.offset.reset"));
        assertEquals(30_000, clients.admin().get("default.api.timeout.ms"));
    }

    @Test
    void theAdminTimeoutCanBePassedThrough() {
        final Env env = Env.of(Map.of("KAFKA_DEFAULT_API_TIMEOUT_MS", "5000"));
        final KafkaClients clients = KafkaClients.fromEnv(env);
        env.validate();
        assertEquals("5000", String.valueOf(clients.admin().get("default.api.timeout.ms")));
    }

    @Test
    void aPassThroughVariableCannotWeakenDurability() {
        final Env env = Env.of(Map.of("KAFKA_ACKS", "1", "KAFKA_ISOLATION_LEVEL", "read_uncommitted",
                "KAFKA_ENABLE_AUTO_COMMIT", "true", "KAFKA_ENABLE_IDEMPOTENCE", "true"));
        KafkaClients.fromEnv(env);
        final ConfigException e = assertThrows(ConfigException.class, env::validate);
        assertEquals(3, e.problems().size(), e.getMessage());
        assertTrue(e.getMessage().contains("KAFKA_ACKS cannot change acks from all"), e.getMessage());
    }

    @Test
    void aPrefixedPassThroughVariableCannotWeakenDurabilityEither() {
        final Env env = Env.of(Map.of("KAFKA_MAIN_CONSUMER_ISOLATION_LEVEL", "read_uncommitted",
                "KAFKA_PRODUCER_ACKS", "1", "KAFKA_RESTORE_CONSUMER_ISOLATION_LEVEL", "read_committed"));
        KafkaClients.fromEnv(env);
        final ConfigException e = assertThrows(ConfigException.class, env::validate);
        assertEquals(2, e.problems().size(), e.getMessage());
        assertTrue(e.getMessage().contains("KAFKA_MAIN_CONSUMER_ISOLATION_LEVEL cannot change isolation.level"),
                e.getMessage());
    }

    @Test
    void aNameThatIsNoClientPropertyIsRefused() {
        final Env env = Env.of(Map.of("KAFKA_BOOTSTRAP_SERVER", "k:9092", "KAFKA_UI_SERVICE_HOST", "10.0.0.1"));
        KafkaClients.fromEnv(env);
        final ConfigException e = assertThrows(ConfigException.class, env::validate);
        assertEquals(2, e.problems().size(), e.getMessage());
        assertTrue(e.getMessage().contains("KAFKA_BOOTSTRAP_SERVER is not a Kafka client property (bootstrap.server)"),
                e.getMessage());
    }

    @Test
    void configProvidersAndStreamsPrefixesAreAccepted() {
        final Env env = Env.of(Map.of("KAFKA_CONFIG_PROVIDERS", "file",
                "KAFKA_CONFIG_PROVIDERS_FILE_CLASS", "org.apache.kafka.common.config.provider.FileConfigProvider",
                "KAFKA_PRODUCER_LINGER_MS", "20", "KAFKA_SESSION_TIMEOUT_MS", "20000"));
        KafkaClients.fromEnv(env);
        env.validate();
    }

    @Test
    void thePassThroughWinsOverTheServicesOwnChoices() {
        final Env env = Env.of(Map.of("KAFKA_CLIENT_ID", "mine", "KAFKA_AUTO_OFFSET_RESET", "latest"));
        final KafkaClients clients = KafkaClients.fromEnv(env);
        env.validate();
        assertEquals("mine", clients.producer("theirs").get("client.id"));
        assertEquals("latest", clients.consumer("g").get("auto.offset.reset"));
    }

    @Test
    void maxInFlightAboveFiveIsRefused() {
        final Env env = Env.of(Map.of("RTDW_MAX_IN_FLIGHT", "6"));
        KafkaClients.fromEnv(env);
        assertTrue(assertThrows(ConfigException.class, env::validate).getMessage()
                .contains("RTDW_MAX_IN_FLIGHT must be in [1, 5]"));
    }

    @Test
    void secretsNeverAppearInItsDescription() {
        final KafkaClients clients = KafkaClients.of("k:9092").withOverrides(Map.of("sasl.jaas.config", "secret-jaas",
                "ssl.truststore.password", "pw", "ssl.truststore.location", "/etc/tls/ts.p12"));
        final String shown = clients.toString();
        assertFalse(shown.contains("secret-jaas"), shown);
        assertFalse(shown.contains("=pw"), shown);
        assertTrue(shown.contains("/etc/tls/ts.p12"), shown);
    }
}
