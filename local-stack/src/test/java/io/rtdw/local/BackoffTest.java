package io.rtdw.local;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BackoffTest {

    @Test
    void doublesUpToTheMaximumWhileExitsFollowQuickly() {
        final Backoff b = Backoff.DEFAULT.copy();
        final long[] expected = {1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000};
        for (final long delay : expected) {
            assertEquals(delay, b.delayAfterExitMs(5_000));
        }
    }

    @Test
    void aRunThatStayedUpLongEnoughResetsTheDelay() {
        final Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(60));
        b.delayAfterExitMs(0);
        b.delayAfterExitMs(0);
        assertEquals(4_000, b.delayAfterExitMs(59_999), "59.999 s up is not healthy for long enough");
        assertEquals(1_000, b.delayAfterExitMs(60_000), "60 s up resets");
        assertEquals(2_000, b.delayAfterExitMs(10));
    }

    @Test
    void eachCopyCountsOnItsOwn() {
        final Backoff a = Backoff.DEFAULT.copy();
        a.delayAfterExitMs(0);
        a.delayAfterExitMs(0);
        assertEquals(1_000, Backoff.DEFAULT.copy().delayAfterExitMs(0));
    }

    @Test
    void refusesNonsense() {
        assertThrows(IllegalArgumentException.class,
                () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class,
                () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(1)));
    }
}
