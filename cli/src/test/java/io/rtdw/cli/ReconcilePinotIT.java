package io.rtdw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.RegistryServerExtension;
import io.rtdw.testing.pinot.PinotLauncher;
import io.rtdw.testing.pinot.PinotTables;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;

import static io.rtdw.testing.TestFiles.freshDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code rtdw reconcile} against a real Pinot 0.11 ingesting the output topic of {@link ReconcileFixture} through the
 * project's table config and decoder: agreeing copies exit 0 (the reader's handling of Pinot's types, nulls, JSON
 * children and delete markers is right), a changed field and an extra row planted in Pinot (through the topic it
 * ingests; the output topic itself is not compared here) are named exactly, exit 1.
 */
class ReconcilePinotIT {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();
    @RegisterExtension
    static final RegistryServerExtension REGISTRY = new RegistryServerExtension();

    @TempDir
    static Path lake;

    private static ReconcileFixture fx;
    private static PinotLauncher pinot;

    @BeforeAll
    static void start() throws Exception {
        fx = new ReconcileFixture(KAFKA.cluster(), REGISTRY.server(), lake);
        pinot = PinotLauncher.builder().dataDir(freshDir(Path.of("target", "it", "reconcile-pinot"))).build().start();
        pinot.createSchema(PinotTables.schema());
        pinot.createTable(PinotTables.localTable(ReconcileFixture.CATALOG.unifiedCustomers().name(),
                KAFKA.cluster().bootstrapServers(), REGISTRY.server().url()));
        awaitPinot("every record ingested", "SELECT COUNT(*) FROM unified_customer OPTION(skipUpsert=true)",
                rows -> rows.get(0).get(0).asLong() >= fx.produced);
    }

    @AfterAll
    static void stop() throws Exception {
        if (pinot != null) {
            pinot.close();
        }
        if (fx != null) {
            fx.close();
        }
    }

    /** Waits (bounded) until Pinot's answer to {@code sql} satisfies {@code done}; a wait, not a timed assertion. */
    private static void awaitPinot(final String what, final String sql, final Predicate<List<List<JsonNode>>> done)
            throws InterruptedException {
        final long deadline = System.nanoTime() + 180_000_000_000L;
        List<List<JsonNode>> rows = List.of();
        while (System.nanoTime() < deadline) {
            try {
                rows = pinot.rows(sql);
                if (!rows.isEmpty() && done.test(rows)) {
                    return;
                }
            } catch (final IllegalStateException e) {
                // consuming segments not created yet
            }
            Thread.sleep(300);
        }
        throw new AssertionError("Pinot: " + what + ": not within 180 s, last answer " + rows + "; see "
                + pinot.logFile());
    }

    private static ReconcileFixture.Run reconcile() {
        return fx.reconcile("--pinot", pinot.brokerUrl(), "--no-output", "--no-parquet");
    }

    @Test
    void pinotAgreesWithTheSources() {
        final ReconcileFixture.Run run = reconcile();
        assertEquals(0, run.exit(), run.out());
        assertTrue(run.out().contains("pinot: " + fx.expected.size() + " live customers, 0 differ"), run.out());
        assertTrue(run.out().contains("rows with deleted=true"), run.out());
    }

    @Test
    void aChangedFieldAndAnExtraRowInPinotAreNamed() throws Exception {
        final UnifiedCustomer victim = fx.someCustomerWithAFlight(5);
        final UnifiedCustomer original = fx.shown.get(victim.getCustomerId());
        final int extra = 2_000_000;
        fx.produce(List.of(UnifiedCustomer.newBuilder(original).setPhone("+00 planted").setVersion(10).build(),
                UnifiedCustomer.newBuilder(original).setCustomerId(extra).setVersion(1).build()));
        awaitPinot("the planted rows", "SELECT COUNT(*) FROM unified_customer WHERE (customer_id = "
                + victim.getCustomerId() + " AND phone = '+00 planted') OR customer_id = " + extra,
                rows -> rows.get(0).get(0).asLong() == 2);
        try {
            final ReconcileFixture.Run run = reconcile();
            assertEquals(1, run.exit(), run.out());
            final List<String> want = new java.util.ArrayList<>(List.of(
                    "customer " + victim.getCustomerId() + ": pinot: phone '+00 planted' != source '"
                            + victim.getPhone() + "'",
                    "customer " + extra + ": pinot: present, but the customer does not exist at the source"));
            assertEquals(want, run.differences(), run.out());
        } finally {
            fx.produce(List.of(UnifiedCustomer.newBuilder(original).setVersion(11).build(),
                    UnifiedCustomer.newBuilder().setCustomerId(extra).setDeleted(true).setVersion(2)
                            .setSourceTsMs(Instant.now()).build()));
            awaitPinot("the restored rows", "SELECT COUNT(*) FROM unified_customer WHERE (customer_id = "
                    + victim.getCustomerId() + " AND version = 11) OR (customer_id = " + extra + " AND deleted = true)",
                    rows -> rows.get(0).get(0).asLong() == 2);
        }
    }
}
