package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.runtime.Env;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.testing.RegistryServer;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The registry's authentication as deployed, on the real Apicurio Registry server (3.0.9, the test kit's): the
 * server runs with the built overlay's {@code registry-auth} ConfigMap file and the two passwords the Secret
 * {@code rtdw-registry-auth} would give it. Anonymous clients read schemas (as the Pinot and UI decoders do) and are
 * refused every write; the services' serdes, configured only through {@code RTDW_REGISTRY_USERNAME}/{@code _PASSWORD}
 * like the manifests do, register and read; a wrong password is refused; rtdw-services cannot change a global rule,
 * rtdw-admin can; the Confluent-compatible API (ksqlDB) is guarded the same way.
 */
class RegistryAuthIT {

    private static final String OVERLAY = "prod";
    private static final Topic<CustomerKey, UnifiedCustomer> TOPIC = TopicCatalog.DEFAULT.unifiedCustomers();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dir;

    private static RegistryServer registry;
    private static String servicesPassword;
    private static String adminPassword;

    @BeforeAll
    static void startTheRegistryAsDeployed() throws Exception {
        final ConfigMap auth = Overlays.get(OVERLAY, ConfigMap.class, "registry-auth");
        final Path file = dir.resolve("auth.properties");
        Files.writeString(file, auth.getData().get("auth.properties"));
        // The Deployment loads exactly that file; its passwords come from the Secret.
        final Container container = Overlays.get(OVERLAY, Deployment.class, "apicurio-registry").getSpec().getTemplate()
                .getSpec().getContainers().get(0);
        assertTrue(Resources.envValue(container, "QUARKUS_CONFIG_LOCATIONS")
                .endsWith(",/etc/rtdw/registry-auth/auth.properties"));
        servicesPassword = random();
        adminPassword = random();
        registry = RegistryServer.builder().name("registry-auth")
                .env("QUARKUS_CONFIG_LOCATIONS", file.toString())
                .env("REGISTRY_SERVICES_PASSWORD", servicesPassword)
                .env("REGISTRY_ADMIN_PASSWORD", adminPassword)
                .start();
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private static String random() {
        final byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static UnifiedCustomer customer(final int id) {
        return UnifiedCustomer.newBuilder().setCustomerId(id).setVersion(1).setSourceTsMs(Instant.ofEpochMilli(1_700_000_000_000L))
                .setName("n" + id).setFlights(List.of()).setVehicles(List.of()).build();
    }

    /** The serdes as a service builds them from its environment. */
    private static RegistrySerdes serdes(final String username, final String password) {
        return Env.read(Map.of(RegistrySerdes.URL.name(), registry.url(), RegistrySerdes.USERNAME.name(), username,
                RegistrySerdes.PASSWORD.name(), password), RegistrySerdes::fromEnv);
    }

    private static int status(final String method, final String path, final String body, final String contentType,
                              final String user, final String password) throws Exception {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(registry.baseUrl() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", contentType);
        }
        if (user != null) {
            request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    (user + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** The failure is the registry's 401, not something else going wrong on the way. */
    private static void assertRefused(final Throwable thrown) {
        final StringBuilder chain = new StringBuilder();
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            chain.append(t).append(" | ");
        }
        assertTrue(chain.toString().contains("401"), chain.toString());
    }

    private static String artifact(final String id) {
        return "{\"artifactId\":\"" + id + "\",\"artifactType\":\"AVRO\",\"firstVersion\":{\"content\":{\"content\":"
                + "\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"R" + id + "\\\",\\\"fields\\\":[{\\\"name\\\":\\\"a\\\","
                + "\\\"type\\\":\\\"int\\\"}]}\",\"contentType\":\"application/json\"}}}";
    }

    @Test
    void servicesRegisterAndReadAnonymousClientsOnlyRead() throws Exception {
        final String v3 = RegistryServer.V3_PATH;
        // Anonymous: a write is refused, on the v3 API and through the serdes' auto-registration.
        assertEquals(401, status("POST", v3 + "/groups/default/artifacts", artifact("anon"), "application/json",
                null, null));
        final Serde<UnifiedCustomer> anonymous = RegistrySerdes.remote(registry.url(), true).valueSerde(TOPIC);
        assertRefused(assertThrows(RuntimeException.class,
                () -> anonymous.serializer().serialize(TOPIC.name(), customer(1))));

        // The services' identity registers (auto-registration) and the frame names the registered content.
        final Serde<UnifiedCustomer> service = serdes("rtdw-services", servicesPassword).valueSerde(TOPIC);
        final byte[] framed = service.serializer().serialize(TOPIC.name(), customer(2));
        final long contentId = ((framed[1] & 0xffL) << 24) | ((framed[2] & 0xffL) << 16) | ((framed[3] & 0xffL) << 8)
                | (framed[4] & 0xffL);
        assertEquals(customer(2), service.deserializer().deserialize(TOPIC.name(), framed));

        // Anonymous reads: the schema by id (what the Pinot decoder asks), and the serdes' deserializer.
        assertEquals(200, status("GET", v3 + "/ids/contentIds/" + contentId, null, null, null, null));
        assertEquals(200, status("GET", v3 + "/groups/default/artifacts", null, null, null, null));
        assertEquals(customer(2), anonymous.deserializer().deserialize(TOPIC.name(), framed));

        // A wrong password is no identity.
        assertEquals(401, status("POST", v3 + "/groups/default/artifacts", artifact("wrong"), "application/json",
                "rtdw-services", "not-the-password"));
        final Serde<UnifiedCustomer> wrong = serdes("rtdw-services", "not-the-password").valueSerde(TOPIC);
        assertRefused(assertThrows(RuntimeException.class,
                () -> wrong.serializer().serialize("other-topic", customer(3))));
    }

    @Test
    void onlyTheAdminChangesGlobalRules() throws Exception {
        final String rule = "{\"ruleType\":\"VALIDITY\",\"config\":\"FULL\"}";
        final String rules = RegistryServer.V3_PATH + "/admin/rules";
        assertEquals(401, status("POST", rules, rule, "application/json", null, null));
        assertEquals(403, status("POST", rules, rule, "application/json", "rtdw-services", servicesPassword));
        assertEquals(204, status("POST", rules, rule, "application/json", "rtdw-admin", adminPassword));
        assertEquals(204, status("DELETE", rules + "/VALIDITY", null, null, "rtdw-admin", adminPassword));
        assertEquals(401, status("DELETE", RegistryServer.V3_PATH + "/groups/default/artifacts/anything", null, null,
                null, null));
    }

    @Test
    void theConfluentCompatibleApiIsGuardedTheSameWay() throws Exception {
        final String subject = RegistryServer.CCOMPAT_PATH + "/subjects/ksql-value/versions";
        final String schema = "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"K\\\",\\\"fields\\\":[]}\"}";
        final String type = "application/vnd.schemaregistry.v1+json";
        assertEquals(401, status("POST", subject, schema, type, null, null));
        assertEquals(200, status("POST", subject, schema, type, "rtdw-services", servicesPassword));
        assertEquals(200, status("GET", subject, null, null, null, null));
    }
}
