package io.rtdw.testing;

import io.rtdw.catalog.SourceChange;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Reproducible random CDC records of the three tables, as they arrive on the source topics: the
 * {@link WorkloadGenerator}'s changes (inserts, updates of any column, deletes, children moving between customers,
 * orphans, customers deleted and re-created with the same id, {@code dt_update} going backwards) encoded by
 * {@link CdcEnvelopes} (PostgreSQL and MongoDB on different clocks, vehicle deletes without pre-images), plus what
 * at-least-once CDC adds: replays of records already sent (about 3 %).
 */
public final class RandomChanges {

    private final WorkloadGenerator generator;
    private final CdcEnvelopes envelopes;
    private final Random random;
    private final List<SourceChange> sent = new ArrayList<>();

    /**
     * @param seed             makes the sequence reproducible
     * @param initialCustomers customers loaded first (with 1.5 flights and 1 vehicle per customer); more are created,
     *                         deleted and re-created later
     * @param startMs          source clock at the first change
     */
    public RandomChanges(final long seed, final int initialCustomers, final long startMs) {
        this.generator = new WorkloadGenerator(new WorkloadGenerator.Options(seed, initialCustomers,
                initialCustomers * 3 / 2, initialCustomers, 0.1, true).withBusinessTimeJitter(Duration.ofHours(1)));
        this.envelopes = new CdcEnvelopes(seed, startMs, false);
        this.random = new Random(seed * 31 + 7);
    }

    /** The next {@code n} records. */
    public List<SourceChange> next(final int n) {
        final List<SourceChange> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(next());
        }
        return out;
    }

    /** The next record: a new change, or a replay of one of the last 20 (same key, same position). */
    public SourceChange next() {
        if (!sent.isEmpty() && random.nextInt(100) < 3) {
            return sent.get(sent.size() - 1 - random.nextInt(Math.min(20, sent.size())));
        }
        final SourceChange change = envelopes.encode(generator.next());
        sent.add(change);
        return change;
    }

    /** The generator behind the records: the source state after every record returned so far. */
    public WorkloadGenerator generator() {
        return generator;
    }
}
