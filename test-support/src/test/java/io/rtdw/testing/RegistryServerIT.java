package io.rtdw.testing;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.ServerSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A registry of one's own: a fixed port, no compatibility rule until one is set through the REST API (the way a
 * setup job would set it where the deployment cannot configure it), stopped by pid on close.
 */
class RegistryServerIT {

    private static final Logger LOG = LoggerFactory.getLogger(RegistryServerIT.class);

    private static final String V1 = "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"it\",\"fields\":["
            + "{\"name\":\"id\",\"type\":\"int\"}]}";
    private static final String NEW_REQUIRED = "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"it\",\"fields\":["
            + "{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"x\",\"type\":\"string\"}]}";
    private static final String CHANGED_TYPE = "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"it\",\"fields\":["
            + "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"x\",\"type\":\"string\"}]}";

    @Test
    void aServerOfItsOwnOnAFixedPortWithARuleSetThroughTheRestApi() throws Exception {
        final int port = ChildJvm.freePort();
        final RegistryServer server = RegistryServer.builder().name("fixed-port").port(port).compatibility(null).start();
        final long pid = server.pid();
        try {
            LOG.info("{} ready in {} ms, RSS {} MB", server, server.startupTime().toMillis(), server.rssBytes() >> 20);
            assertEquals("http://127.0.0.1:" + port + "/apis/registry/v3", server.url());
            assertEquals("http://127.0.0.1:" + port + "/apis/ccompat/v7", server.ccompatUrl());
            final RegistryRest rest = new RegistryRest(server.url());
            assertEquals("3.0.9", rest.get("/system/info").ok().json().path("version").asText());
            assertEquals("[]", new RegistryRest(server.ccompatUrl()).get("/subjects").ok().body().trim());
            assertEquals(404, rest.get("/admin/rules/COMPATIBILITY").status(), "no rule configured");

            // Without a rule anything is accepted ...
            rest.createArtifact(RegistryRest.DEFAULT_GROUP, "r", V1).ok();
            assertEquals(200, rest.createVersion(RegistryRest.DEFAULT_GROUP, "r", NEW_REQUIRED).status());

            // ... until the global rule is set through the REST API.
            assertEquals(204, rest.setGlobalRule("COMPATIBILITY", "BACKWARD").status());
            final RegistryRest.Response refused = rest.createVersion(RegistryRest.DEFAULT_GROUP, "r", CHANGED_TYPE);
            LOG.info("global rule BACKWARD, changed type: HTTP {} {}", refused.status(), refused.body());
            assertEquals(409, refused.status(), refused.body());
            assertEquals("RuleViolationException", refused.json().path("name").asText());
        } finally {
            server.close();
        }
        assertFalse(server.isAlive());
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "process " + pid + " is gone");
        try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            assertTrue(again.isBound(), "the port is free again");
        }
        server.close();   // idempotent
    }
}
