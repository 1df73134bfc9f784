package io.rtdw.local;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScrapeTest {

    private static final String TEXT = """
            # HELP rtdw_cdc_changes_total Changes produced and acknowledged by Kafka.
            # TYPE rtdw_cdc_changes_total counter
            rtdw_cdc_changes_total{source="postgres",topic="rtdw.public.customers"} 120
            rtdw_cdc_changes_total{source="postgres",topic="rtdw.public.flight"} 64
            rtdw_cdc_changes_total_extra 5
            rtdw_output_records_total 1.5e3
            rtdw_source_to_output_lag_ms NaN
            rtdw_with_timestamp{a="b c"} 7 1700000000000
            """;

    @Test
    void sumsTheSeriesOfOneNameFilteredByLabels() {
        final Map<String, Double> series = Scrape.prometheus(TEXT);
        assertEquals(184, Scrape.sum(series, "rtdw_cdc_changes_total").getAsDouble());
        assertEquals(64, Scrape.sum(series, "rtdw_cdc_changes_total", "topic=\"rtdw.public.flight\"").getAsDouble());
        assertEquals(1500, Scrape.sum(series, "rtdw_output_records_total").getAsDouble());
        assertEquals(7, Scrape.sum(series, "rtdw_with_timestamp").getAsDouble());
    }

    @Test
    void missingAndNaNSeriesAreEmpty() {
        final Map<String, Double> series = Scrape.prometheus(TEXT);
        assertFalse(Scrape.sum(series, "rtdw_source_to_output_lag_ms").isPresent());
        assertFalse(Scrape.sum(series, "rtdw_cdc_changes_total", "topic=\"rtdw.rtdw.vehicle\"").isPresent());
        assertTrue(Scrape.prometheus(null).isEmpty());
    }

    @Test
    void pinotConsumingOffsetsPerPartition() {
        // the shape Pinot 0.11's controller answered here (two partitions; one with two servers: the smaller counts)
        final String json = "{\"_segmentToConsumingInfoMap\":{\"unified_customer__0__0__20261202T1136Z\":[{\"serverName\":"
                + "\"Server_localhost_7098\",\"consumerState\":\"CONSUMING\",\"lastConsumedTimestamp\":0,"
                + "\"partitionToOffsetMap\":{\"0\":\"245\"}}],\"unified_customer__5__0__20261202T1136Z\":[{\"serverName\":"
                + "\"a\",\"partitionToOffsetMap\":{\"5\":\"214\"}},{\"serverName\":\"b\",\"partitionToOffsetMap\":"
                + "{\"5\":\"210\"}}]}}";
        assertEquals(java.util.Map.of(0, 245L, 5, 210L), Scrape.pinotConsumingOffsets(json));
        assertEquals(java.util.Map.of(), Scrape.pinotConsumingOffsets(null));
        assertEquals(java.util.Map.of(), Scrape.pinotConsumingOffsets("not json"));
    }

    @Test
    void aSinkReachesTheTopicWhenEveryPartitionIsWithinTheGap() {
        final java.util.Map<Integer, Long> ends = java.util.Map.of(0, 246L, 1, 195L, 2, 0L);
        assertTrue(LocalStack.reaches(java.util.Map.of(0, 245L, 1, 194L), ends, 1));
        assertFalse(LocalStack.reaches(java.util.Map.of(0, 245L, 1, 193L), ends, 1));
        assertFalse(LocalStack.reaches(java.util.Map.of(0, 245L), ends, 1), "a partition the sink has not started");
        assertTrue(LocalStack.reaches(java.util.Map.of(0, 244L, 1, 193L), ends, 2));
        assertFalse(LocalStack.reaches(java.util.Map.of(0, 245L, 1, 194L), java.util.Map.of(), 1), "no end offsets");
    }
}
