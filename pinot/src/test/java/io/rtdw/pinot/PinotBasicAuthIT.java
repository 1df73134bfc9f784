package io.rtdw.pinot;

import com.fasterxml.jackson.databind.JsonNode;
import io.rtdw.testing.pinot.PinotClient;
import io.rtdw.testing.pinot.PinotLauncher;
import io.rtdw.testing.pinot.PinotTables;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.UUID;

import static io.rtdw.testing.TestFiles.freshDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pinot 0.11 with HTTP Basic Auth on the controller and the broker (the open-source
 * {@code BasicAuthAccessControlFactory} of each), configured as k8s/base/pinot configures it: the controller knows
 * only {@code admin}, the broker only the read-only {@code bi}. A query without credentials, with a wrong password
 * or as {@code admin} is refused; {@code bi} can query but cannot read, create or delete a table on the
 * controller; {@code admin} can.
 *
 * <p>The table is an OFFLINE one of the {@code unified_customer} schema: what is checked is who may do what, not
 * ingestion, so no Kafka is needed.
 */
class PinotBasicAuthIT {

    private static final String TABLE_CONFIG = """
            {"tableName": "unified_customer", "tableType": "OFFLINE",
             "segmentsConfig": {"replication": "1", "schemaName": "unified_customer"},
             "tenants": {}, "tableIndexConfig": {}, "metadata": {}}""";
    private static final String QUERY = "{\"sql\": \"SELECT COUNT(*) FROM unified_customer\"}";

    private static final String ADMIN_PASSWORD = UUID.randomUUID().toString();
    private static final String BI_PASSWORD = UUID.randomUUID().toString();

    private static PinotLauncher pinot;
    private static PinotClient admin;
    private static PinotClient bi;
    private static PinotClient anonymous;

    @BeforeAll
    static void start() {
        pinot = PinotLauncher.builder().dataDir(freshDir(Path.of("target", "it", "pinot-basic-auth")))
                .basicAuth(ADMIN_PASSWORD, BI_PASSWORD).build().start();
        admin = pinot.client();
        bi = admin.withBasicAuth(PinotLauncher.BI, BI_PASSWORD);
        anonymous = admin.withoutAuth();
        admin.createSchema(PinotTables.schema());
        admin.createTable(TABLE_CONFIG);
    }

    @AfterAll
    static void stop() {
        if (pinot != null) {
            pinot.close();
        }
    }

    /** Pinot 0.11's broker answers a refused query with HTTP 200 and error 180 (ACCESS_DENIED), no result. */
    @Test
    void queriesWithoutValidCredentialsAreRefused() {
        assertQueryRefused(anonymous.exchange("POST", pinot.brokerUrl() + "/query/sql", QUERY));
        assertQueryRefused(admin.withBasicAuth(PinotLauncher.BI, BI_PASSWORD + "x")
                .exchange("POST", pinot.brokerUrl() + "/query/sql", QUERY));
        assertQueryRefused(admin.exchange("POST", pinot.brokerUrl() + "/query/sql", QUERY));
    }

    /** Accepted: no exception at all (the table has no segment, so no result rows either). */
    @Test
    void biCanQuery() {
        final HttpResponse<String> response = bi.exchange("POST", pinot.brokerUrl() + "/query/sql", QUERY);
        assertEquals(200, response.statusCode(), response.body());
        final JsonNode body = PinotClient.json(response.body());
        assertTrue(body.path("exceptions").isArray() && body.path("exceptions").isEmpty(), response.body());
        assertEquals(0, body.path("totalDocs").asLong(-1), response.body());
    }

    @Test
    void biCannotUseTheController() {
        assertRefused(bi.exchange("GET", pinot.controllerUrl() + "/tables", null));
        assertRefused(bi.exchange("POST", pinot.controllerUrl() + "/tables",
                TABLE_CONFIG.replace("\"unified_customer\", \"tableType\"", "\"bi_table\", \"tableType\"")));
        assertRefused(bi.exchange("DELETE", pinot.controllerUrl() + "/tables/unified_customer?type=offline", null));
        assertRefused(anonymous.exchange("GET", pinot.controllerUrl() + "/tables", null));

        final HttpResponse<String> after = admin.exchange("GET", pinot.controllerUrl() + "/tables", null);
        assertEquals(200, after.statusCode(), after.body());
        assertTrue(after.body().contains("unified_customer") && !after.body().contains("bi_table"), after.body());
    }

    @Test
    void adminCanCreateAndDeleteTables() {
        final String other = TABLE_CONFIG.replace("\"unified_customer\", \"tableType\"", "\"admin_table\", \"tableType\"");
        final HttpResponse<String> created = admin.exchange("POST", pinot.controllerUrl() + "/tables", other);
        assertEquals(200, created.statusCode(), created.body());
        final HttpResponse<String> deleted = admin.exchange("DELETE",
                pinot.controllerUrl() + "/tables/admin_table?type=offline", null);
        assertEquals(200, deleted.statusCode(), deleted.body());
    }

    private static void assertQueryRefused(final HttpResponse<String> response) {
        final JsonNode body = PinotClient.json(response.body());
        assertEquals(180, body.path("exceptions").path(0).path("errorCode").asInt(), response.body());
        assertTrue(body.path("resultTable").isMissingNode(), response.body());
    }

    /** Pinot 0.11's controller: 403, or 400 for a refused table creation; either way "Permission is denied". */
    private static void assertRefused(final HttpResponse<String> response) {
        assertTrue((response.statusCode() == 403 || response.statusCode() == 400)
                        && response.body().contains("Permission is denied"),
                "expected 403 (or 400 with Permission is denied), got " + response.statusCode() + ": " + response.body());
    }
}
