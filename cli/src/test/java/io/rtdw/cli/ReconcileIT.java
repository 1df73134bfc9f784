package io.rtdw.cli;

import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.RegistryServerExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code rtdw reconcile} against real copies ({@link ReconcileFixture}: real PostgreSQL, Kafka, registry, the lake
 * sink's Parquet writer; expected records from the test kit's oracle over the source rows). One difference at a time
 * is planted in one copy and reconcile must name exactly that customer, that copy and that field, and exit 1;
 * agreeing copies exit 0. Pinot: {@link ReconcilePinotIT}.
 */
class ReconcileIT {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();
    @RegisterExtension
    static final RegistryServerExtension REGISTRY = new RegistryServerExtension();

    @TempDir
    static Path lake;

    private static ReconcileFixture fx;

    @BeforeAll
    static void buildAgreeingCopies() throws Exception {
        fx = new ReconcileFixture(KAFKA.cluster(), REGISTRY.server(), lake);
    }

    @AfterAll
    static void stop() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    void agreeingCopiesExitZero() {
        final ReconcileFixture.Run run = fx.reconcile("--no-pinot", "--lake", fx.lake.toString());
        assertEquals(0, run.exit(), run.out());
        assertEquals(List.of(), run.differences(), run.out());
        assertTrue(run.out().contains("source: " + fx.expected.size() + " customers"), run.out());
        assertTrue(run.out().contains("output: " + fx.expected.size() + " live customers, 0 differ"), run.out());
        assertTrue(run.out().contains("parquet: " + fx.expected.size() + " live customers, 0 differ"), run.out());
        assertTrue(run.out().contains("pinot: not compared: --no-pinot"), run.out());
        assertTrue(run.out().contains("keys ending in a delete marker: 0, in a tombstone: 1"), run.out());
    }

    @Test
    void waitEndsWhenTwoRunsReadTheSameSourcesAndAgreeOrReportsTheLastRunAtItsTimeout() {
        final ReconcileFixture.Run agreeing = fx.reconcile("--no-pinot", "--lake", fx.lake.toString(), "--wait", "120s");
        assertEquals(0, agreeing.exit(), agreeing.out());
        assertTrue(agreeing.out().contains("waited: 2 runs; the sources did not change between the last two"),
                agreeing.out());
        final UnifiedCustomer victim = fx.someCustomerWithAFlight(6);
        final UnifiedCustomer original = fx.shown.get(victim.getCustomerId());
        fx.produce(List.of(UnifiedCustomer.newBuilder(original).setName("Planted").setVersion(2).build()));
        try {
            final ReconcileFixture.Run stuck = fx.reconcile("--no-pinot", "--lake", fx.lake.toString(), "--wait", "3s");
            assertEquals(1, stuck.exit(), stuck.out());
            assertTrue(stuck.out().contains("without agreement") && stuck.out().contains("the last run:"), stuck.out());
            assertEquals(List.of("customer " + victim.getCustomerId() + ": output: name 'Planted' != source '"
                    + victim.getName() + "'"), stuck.differences(), stuck.out());
        } finally {
            fx.produce(List.of(UnifiedCustomer.newBuilder(original).setVersion(3).build()));
        }
    }

    @Test
    void aChangedFieldInTheOutputTopicIsNamed() {
        final UnifiedCustomer victim = fx.someCustomerWithAFlight(0);
        final UnifiedCustomer original = fx.shown.get(victim.getCustomerId());
        fx.produce(List.of(UnifiedCustomer.newBuilder(original).setEmail("planted@example.com").setVersion(2).build()));
        try {
            final ReconcileFixture.Run run = fx.reconcile("--no-pinot", "--lake", fx.lake.toString());
            assertEquals(1, run.exit(), run.out());
            assertEquals(List.of("customer " + victim.getCustomerId() + ": output: email 'planted@example.com' != source '"
                    + victim.getEmail() + "'"), run.differences(), run.out());
        } finally {
            fx.produce(List.of(UnifiedCustomer.newBuilder(original).setVersion(3).build()));
        }
    }

    @Test
    void aChangedValueAndAMissingRowInTheParquetSnapshotAreNamed() throws Exception {
        final int changed = fx.someCustomerWithAFlight(1).getCustomerId();
        final int missing = fx.someCustomerWithAFlight(2).getCustomerId();
        fx.snapshot(u -> u.getCustomerId() == missing ? null : u.getCustomerId() == changed
                ? UnifiedCustomer.newBuilder(u).setProfession("Astronauta").build() : u);
        try {
            final ReconcileFixture.Run run = fx.reconcile("--no-pinot", "--lake", fx.lake.toString());
            assertEquals(1, run.exit(), run.out());
            final List<String> want = new ArrayList<>(List.of(
                    "customer " + changed + ": parquet: profession 'Astronauta' != source '"
                            + fx.expected.get(changed).getProfession() + "'",
                    "customer " + missing + ": parquet: missing"));
            want.sort(java.util.Comparator.comparingInt(ReconcileIT::idOf));
            assertEquals(want, run.differences(), run.out());
        } finally {
            fx.snapshot(u -> u);
        }
    }

    @Test
    void aSourceChangeNotYetPropagatedShowsInEveryCopy() throws Exception {
        final UnifiedCustomer owner = fx.someCustomerWithAFlight(3);
        final UnifiedFlight flight = owner.getFlights().get(0);
        try (Statement st = fx.db.createStatement()) {
            st.executeUpdate("UPDATE flight SET linha_aerea = 'Planted Air' WHERE id = " + flight.getFlightId());
        }
        try {
            final ReconcileFixture.Run run = fx.reconcile("--no-pinot", "--lake", fx.lake.toString());
            assertEquals(1, run.exit(), run.out());
            final String what = "flight " + flight.getFlightId() + " airline '" + flight.getAirline()
                    + "' != source 'Planted Air'";
            assertEquals(List.of("customer " + owner.getCustomerId() + ": output: " + what + "; parquet: " + what),
                    run.differences(), run.out());
        } finally {
            try (PreparedStatement st = fx.db.prepareStatement("UPDATE flight SET linha_aerea = ? WHERE id = ?")) {
                st.setString(1, flight.getAirline());
                st.setInt(2, flight.getFlightId());
                st.executeUpdate();
            }
        }
    }

    @Test
    void aFamilyAboveTheCapIsCheckedByCountAndByTheChildrenShown() {
        final UnifiedCustomer original = fx.shown.get(fx.bigFamily);
        final UnifiedCustomer stranger = fx.someCustomerWithAFlight(4);
        final UnifiedFlight foreign = stranger.getFlights().get(0);
        final List<UnifiedFlight> flights = new ArrayList<>(original.getFlights());
        flights.set(0, foreign);
        fx.produce(List.of(UnifiedCustomer.newBuilder(original).setFlights(flights).setVersion(2).build()));
        try {
            final ReconcileFixture.Run run = fx.reconcile("--no-pinot", "--lake", fx.lake.toString());
            assertEquals(1, run.exit(), run.out());
            assertEquals(List.of("customer " + fx.bigFamily + ": output: flights [" + foreign.getFlightId()
                    + "] shown are not this customer's at the source"), run.differences(), run.out());
        } finally {
            fx.produce(List.of(UnifiedCustomer.newBuilder(original).setVersion(3).build()));
        }
    }

    @Test
    void everyServesTheAgreedMetrics() throws Exception {
        final AtomicBoolean stop = new AtomicBoolean();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        final List<String> args = List.of("--vehicles-from-topic", "--no-pinot", "--lake", fx.lake.toString(),
                "--max-children", String.valueOf(ReconcileFixture.CAP), "--every", "1s", "--http-port", "0");
        final CompletableFuture<Integer> running = CompletableFuture.supplyAsync(
                () -> Reconcile.run(args, fx.env(), print, print, stop::get));
        try {
            final HttpClient http = HttpClient.newHttpClient();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String metrics = "";
            while (System.nanoTime() < deadline && !metrics.contains("rtdw_reconcile_agree 1.0")) {
                final Matcher port = Pattern.compile("metrics on http://localhost:(\\d+)/metrics")
                        .matcher(out.toString(StandardCharsets.UTF_8));
                if (port.find()) {
                    metrics = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port.group(1)
                            + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                            HttpResponse.BodyHandlers.ofString()).body();
                }
                if (!metrics.contains("rtdw_reconcile_agree 1.0")) {
                    Thread.sleep(100);
                }
            }
            assertTrue(metrics.contains("rtdw_reconcile_agree 1.0"), metrics + out);
            assertTrue(metrics.contains("rtdw_reconcile_differences{copy=\"output\"} 0.0"), metrics);
            assertTrue(metrics.contains("rtdw_reconcile_differences{copy=\"parquet\"} 0.0"), metrics);
            assertTrue(metrics.contains("rtdw_reconcile_differences{copy=\"pinot\"} -1.0"), metrics);
            assertTrue(metrics.contains("rtdw_reconcile_customers{copy=\"source\"} " + fx.expected.size() + ".0"), metrics);
            assertTrue(metrics.contains("rtdw_reconcile_customers{copy=\"output\"} " + fx.expected.size() + ".0"), metrics);
            assertTrue(metrics.contains("rtdw_reconcile_last_run_timestamp_seconds "), metrics);
            assertTrue(metrics.contains("rtdw_reconcile_duration_seconds "), metrics);
        } finally {
            stop.set(true);
        }
        assertEquals(0, running.get(60, TimeUnit.SECONDS), out.toString(StandardCharsets.UTF_8));
    }

    private static int idOf(final String line) {
        return Integer.parseInt(line.substring("customer ".length(), line.indexOf(':')));
    }
}
