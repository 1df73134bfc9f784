package io.rtdw.local;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FreshnessTest {

    @Test
    void pinotStaysFlatWhileCaughtUpAndIdle() {
        final Freshness f = new Freshness();
        // newest commit at 10_000, seen in Pinot at 10_400: 400 ms
        assertEquals(400, f.pinot(10_400, 10_000, true));
        // nothing changes for a minute: still 400
        assertEquals(400, f.pinot(70_400, 10_000, true));
    }

    @Test
    void pinotGrowsWhileBehind() {
        final Freshness f = new Freshness();
        assertEquals(400, f.pinot(10_400, 10_000, true));
        // a change committed at 20_000 is in the topic, Pinot still shows 10_000 at 25_000: now - 10_000, growing
        assertEquals(15_000, f.pinot(25_000, 10_000, false));
        assertEquals(20_000, f.pinot(30_000, 10_000, false));
        // it arrives, seen at 30_500: the newest change's delay when seen, flat from then on
        assertEquals(10_500, f.pinot(30_500, 20_000, true));
        assertEquals(10_500, f.pinot(90_000, 20_000, true));
    }

    @Test
    void pinotEmptyIsUnknown() {
        assertTrue(Double.isNaN(new Freshness().pinot(1_000, -1, false)));
    }

    @Test
    void parquetHoldsTheLakesFigureWhileCaughtUpAndGrowsWhileTheFilesStall() {
        final Freshness f = new Freshness();
        assertEquals(6_000, f.parquet(100_000, 500, 6_000, true));
        assertEquals(6_000, f.parquet(160_000, 500, 6_000, true), "idle: flat");
        // new records in the topic from 180 s on, no new file for 25 s: at least 25 s
        assertEquals(6_000, f.parquet(180_000, 500, 6_000, false));
        assertEquals(25_000, f.parquet(205_000, 500, 6_000, false));
        // a new file (still behind: records keep coming): the lake's figure again, not the time since 180 s
        assertEquals(7_000, f.parquet(206_000, 620, 7_000, false));
        assertEquals(7_000, f.parquet(210_000, 620, 7_000, false));
        assertTrue(Double.isNaN(new Freshness().parquet(1, -1, 5, true)));
    }
}
