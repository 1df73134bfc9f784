package io.rtdw.local;

import java.time.Duration;

/**
 * When the supervisor restarts a component that exited: after {@code initial}, doubling with every exit that follows
 * quickly, at most {@code max}; a run that stayed up for {@code healthyFor} or longer resets the delay to
 * {@code initial}. Not thread-safe: one per component, used by the supervisor's thread.
 */
final class Backoff {

    static final Backoff DEFAULT = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(60));

    private final long initialMs;
    private final long maxMs;
    private final long healthyForMs;
    private long nextMs;

    Backoff(final Duration initial, final Duration max, final Duration healthyFor) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("back-off needs 0 < initial <= max, was " + initial + ", " + max);
        }
        this.initialMs = initial.toMillis();
        this.maxMs = max.toMillis();
        this.healthyForMs = healthyFor.toMillis();
        this.nextMs = initialMs;
    }

    /** A fresh back-off with the same settings (each component has its own). */
    Backoff copy() {
        return new Backoff(Duration.ofMillis(initialMs), Duration.ofMillis(maxMs), Duration.ofMillis(healthyForMs));
    }

    /**
     * The delay before the next start, after a run that lasted {@code upForMs}; the following exit waits twice as
     * long (up to the maximum) unless that run lasts {@code healthyFor}.
     */
    long delayAfterExitMs(final long upForMs) {
        if (upForMs >= healthyForMs) {
            nextMs = initialMs;
        }
        final long delay = nextMs;
        nextMs = Math.min(maxMs, nextMs * 2);
        return delay;
    }
}
