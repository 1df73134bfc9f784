package io.rtdw.streams.tools;

import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopologyCompatibilityTest {

    @Test
    void thisBuildKeepsEveryStoreAndTopicOfTheLastRelease() throws IOException {
        final TopologyCompatibility.Report report = TopologyCompatibility.compare(
                TopologyCompatibility.releasedDescription("0.1.0"), TopologyCompatibility.currentDescription());
        assertTrue(report.compatible(), report.toString());
    }

    @Test
    void aRenamedStoreIsReportedAsBreaking() {
        final String current = TopologyCompatibility.currentDescription();
        final String renamed = current.replace("flights-per-customer", "flights-by-customer-v2");
        final TopologyCompatibility.Report report = TopologyCompatibility.compare(current, renamed);
        assertFalse(report.compatible());
        assertTrue(report.removed().contains("store flights-per-customer"), report.toString());
        assertTrue(report.added().contains("store flights-by-customer-v2"), report.toString());
    }

    @Test
    void aRemovedRepartitionTopicIsReportedAsBreaking() {
        final String current = TopologyCompatibility.currentDescription();
        final TopologyCompatibility.Report report = TopologyCompatibility.compare(current,
                current.replace("vehicles-by-customer-repartition", "vehicles-regrouped-repartition"));
        assertEquals(false, report.compatible());
        assertTrue(report.removed().contains("topic vehicles-by-customer-repartition"), report.toString());
    }

    @Test
    void findsEveryStoreOfTheTopology() {
        assertEquals(9, TopologyCompatibility.resources(TopologyCompatibility.currentDescription()).stream()
                .filter(r -> r.startsWith("store ")).count());
    }
}
