package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.rtdw.serde.RegistrySerdes;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The registry is deployed behind authentication (k8s/README.md, "Schema registry"; proven on the real server by
 * {@code RegistryAuthIT}): it loads {@code registry-auth}'s file, which holds no password, only references to the
 * Secret's; every one of our containers that names the registry logs in as rtdw-services with the Secret's password.
 */
class RegistryAuthManifestTest {

    static final List<String> OVERLAYS = Overlays.ALL;
    private static final String SECRET = "rtdw-registry-auth";

    private static void assertFromSecret(final String where, final EnvVar env, final String key) {
        assertTrue(env.getValue() == null, where + ": " + env.getName() + " must not be a literal");
        final SecretKeySelector ref = env.getValueFrom() == null ? null : env.getValueFrom().getSecretKeyRef();
        assertTrue(ref != null && SECRET.equals(ref.getName()) && key.equals(ref.getKey()),
                where + ": " + env.getName() + " must come from Secret " + SECRET + " key " + key);
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void theRegistryLoadsItsUsersWithoutAPasswordInTheConfigMap(final String overlay) throws Exception {
        final Properties auth = new Properties();
        auth.load(new StringReader(Overlays.get(overlay, ConfigMap.class, "registry-auth").getData()
                .get("auth.properties")));
        assertEquals("true", auth.getProperty("quarkus.http.auth.basic"));
        assertEquals("true", auth.getProperty("apicurio.auth.role-based-authorization"));
        assertEquals("true", auth.getProperty("apicurio.auth.anonymous-read-access.enabled"));
        assertEquals("sr-developer", auth.getProperty("quarkus.security.users.embedded.roles.rtdw-services"));
        assertEquals("sr-admin", auth.getProperty("quarkus.security.users.embedded.roles.rtdw-admin"));
        final List<String> users = new ArrayList<>();
        for (final String name : auth.stringPropertyNames()) {
            if (name.startsWith("quarkus.security.users.embedded.users.")) {
                users.add(name);
                assertTrue(auth.getProperty(name).matches("\\$\\{REGISTRY_[A-Z_]+_PASSWORD}"),
                        name + " must reference an environment variable, not hold a password");
            }
        }
        assertEquals(2, users.size(), users.toString());

        final Container registry = Overlays.get(overlay, Deployment.class, "apicurio-registry").getSpec()
                .getTemplate().getSpec().getContainers().get(0);
        assertTrue(Resources.envValue(registry, "QUARKUS_CONFIG_LOCATIONS").contains("/etc/rtdw/registry-auth/auth.properties"));
        assertFromSecret(overlay + " registry", Resources.env(registry, "REGISTRY_SERVICES_PASSWORD").orElseThrow(),
                "services-password");
        assertFromSecret(overlay + " registry", Resources.env(registry, "REGISTRY_ADMIN_PASSWORD").orElseThrow(),
                "admin-password");
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void everyServiceNamingTheRegistryLogsIn(final String overlay) {
        int services = 0;
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            for (final Container c : w.allContainers()) {
                if (Resources.env(c, "KSQL_KSQL_SCHEMA_REGISTRY_URL").isPresent()) {
                    // ksqlDB registers the schemas of its AVRO outputs through the Confluent-compatible API.
                    final String where = overlay + " " + w.id() + "/" + c.getName();
                    assertEquals("USER_INFO", Resources.envValue(c, "KSQL_KSQL_SCHEMA_REGISTRY_BASIC_AUTH_CREDENTIALS_SOURCE"), where);
                    assertEquals("rtdw-services:$(REGISTRY_PASSWORD)",
                            Resources.envValue(c, "KSQL_KSQL_SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO"), where);
                    final List<String> names = c.getEnv().stream().map(EnvVar::getName).toList();
                    assertTrue(names.indexOf("REGISTRY_PASSWORD") >= 0 && names.indexOf("REGISTRY_PASSWORD")
                            < names.indexOf("KSQL_KSQL_SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO"),
                            where + ": $(REGISTRY_PASSWORD) expands only from a variable defined before it");
                    assertFromSecret(where, Resources.env(c, "REGISTRY_PASSWORD").orElseThrow(), "services-password");
                }
                if (Resources.env(c, RegistrySerdes.URL.name()).isEmpty()) {
                    continue;
                }
                services++;
                final String where = overlay + " " + w.id() + "/" + c.getName();
                assertEquals("rtdw-services", Resources.envValue(c, RegistrySerdes.USERNAME.name()), where);
                assertFromSecret(where, Resources.env(c, RegistrySerdes.PASSWORD.name()).orElseThrow(
                        () -> new AssertionError(where + " lacks " + RegistrySerdes.PASSWORD.name())), "services-password");
            }
        }
        assertTrue(services >= 4, overlay + ": streams app, two captures and the lake sink; found " + services);
    }
}
