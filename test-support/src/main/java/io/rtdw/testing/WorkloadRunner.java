package io.rtdw.testing;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** Drives a {@link WorkloadGenerator} at a fixed rate into its appliers. */
public final class WorkloadRunner {

    private WorkloadRunner() {
    }

    /**
     * Applies {@code changes} changes at {@code ratePerSecond} (0 or less: as fast as possible) to every applier
     * (each applier takes the kinds it owns).
     *
     * @return the achieved rate, changes per second
     */
    public static double run(final WorkloadGenerator generator, final long changes, final double ratePerSecond,
                             final List<WorkloadGenerator.Applier> appliers) throws Exception {
        final long start = System.nanoTime();
        final double intervalNanos = ratePerSecond > 0 ? TimeUnit.SECONDS.toNanos(1) / ratePerSecond : 0;
        for (long i = 0; i < changes; i++) {
            if (intervalNanos > 0) {
                final long due = start + (long) (i * intervalNanos);
                final long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
            final WorkloadGenerator.Change change = generator.next();
            for (final WorkloadGenerator.Applier applier : appliers) {
                applier.apply(change);
            }
        }
        final double seconds = (System.nanoTime() - start) / 1e9;
        return changes / Math.max(seconds, 1e-9);
    }
}
