package io.rtdw.streams.topology;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.streams.tools.PipelineDriver;
import io.rtdw.testing.ChangeLines;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.StringReader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What an operator sees of the source-order rule: drops by table and reason, epochs, the newest commit applied. */
class SourceOrderMetricsTest {

    private static final String E1 = "\"epoch\":\"pg:9:1\"";

    @Test
    void dropsAreCountedByTableAndReasonAndTheNewestCommitIsExposed() throws Exception {
        final String lines = String.join("\n",
                line("customers", "CREATE", 1, "{\"nome\":\"A\"}", 100, 110, E1),
                line("customers", "UPDATE", 1, "{\"nome\":\"B\"}", 120, 130, E1),
                line("customers", "UPDATE", 1, "{\"nome\":\"B\"}", 120, 130, E1),   // replay of the applied change
                line("customers", "CREATE", 1, "{\"nome\":\"A\"}", 100, 110, E1),   // older, replayed late
                line("flight", "CREATE", 7, "{\"customer_id\":1}", 121, 130, E1),
                line("flight", "CREATE", 7, "{\"customer_id\":1}", 121, 130, E1));
        try (PipelineDriver driver = new PipelineDriver(TopicCatalog.DEFAULT, 100)) {
            ChangeLines.parse(new BufferedReader(new StringReader(lines))).forEach(driver::pipe);
            final String scrape = driver.metrics().scrape();
            assertTrue(scrape.matches("(?s).*rtdw_streams_changes_dropped_total\\{[^}]*reason=\"duplicate\"[^}]*table=\"customers\"[^}]*} 1.0.*"),
                    scrape);
            assertTrue(scrape.matches("(?s).*rtdw_streams_changes_dropped_total\\{[^}]*reason=\"older\"[^}]*table=\"customers\"[^}]*} 1.0.*"), scrape);
            assertTrue(scrape.matches("(?s).*rtdw_streams_changes_dropped_total\\{[^}]*reason=\"duplicate\"[^}]*table=\"flight\"[^}]*} 1.0.*"), scrape);
            assertTrue(scrape.matches("(?s).*rtdw_streams_source_commit_sequence\\{[^}]*table=\"customers\"[^}]*} 130.0.*"), scrape);
            assertTrue(scrape.matches("(?s).*rtdw_streams_source_epoch\\{[^}]*epoch=\"pg:9:1\"[^}]*table=\"customers\"[^}]*} 1.0.*"), scrape);
            assertEquals(3, driver.metrics().replaysDropped());
            assertEquals(0, driver.metrics().epochChanges());
        }
    }

    @Test
    void aNewEpochIsCountedOncePerRowAndBecomesTheCurrentOne() throws Exception {
        final String e2 = "\"epoch\":\"pg:9:1:restore-1\"";
        final String lines = String.join("\n",
                line("customers", "CREATE", 1, "{\"nome\":\"A\"}", 9000, 9100, E1),
                line("customers", "CREATE", 2, "{\"nome\":\"B\"}", 9001, 9100, E1),
                line("customers", "READ", 1, "{\"nome\":\"A2\"}", 50, 50, e2),
                line("customers", "READ", 2, "{\"nome\":\"B2\"}", 50, 50, e2),
                line("customers", "UPDATE", 2, "{\"nome\":\"B3\"}", 60, 70, e2));
        try (PipelineDriver driver = new PipelineDriver(TopicCatalog.DEFAULT, 100)) {
            ChangeLines.parse(new BufferedReader(new StringReader(lines))).forEach(driver::pipe);
            assertEquals(2, driver.metrics().epochChanges());
            assertEquals(0, driver.metrics().replaysDropped());
            final String scrape = driver.metrics().scrape();
            assertTrue(scrape.matches("(?s).*rtdw_streams_source_epoch\\{[^}]*epoch=\"pg:9:1:restore-1\"[^}]*} 1.0.*"), scrape);
            assertTrue(scrape.matches("(?s).*rtdw_streams_source_epoch\\{[^}]*epoch=\"pg:9:1\"[^}]*} 0.0.*"), scrape);
            assertTrue(scrape.matches("(?s).*rtdw_streams_source_commit_sequence\\{[^}]*table=\"customers\"[^}]*} 70.0.*"), scrape);
        }
    }

    private static String line(final String table, final String op, final int id, final String after, final long lsn,
                               final long commit, final String epoch) {
        return "{\"table\":\"" + table + "\",\"op\":\"" + op + "\",\"id\":" + id + ",\"after\":" + after
                + ",\"seq\":" + lsn + "," + epoch + ",\"commit\":" + commit + ",\"order\":" + (op.equals("READ") ? "\"\"" : lsn) + "}";
    }
}
