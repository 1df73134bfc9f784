package io.rtdw.cdc.engine;

import java.util.Optional;

/**
 * A source change that breaks the change-record contract: it goes to the dead-letter topic, capture continues. When
 * the bad change still says which row it was, it may carry a {@link #retraction()}: a change produced along with the
 * dead letter, at the same position, so the row leaves the warehouse instead of keeping its previous values (a flight
 * whose {@code customer_id} became unreadable is no longer under its old customer in the SQL join).
 */
public final class UnmappableChangeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private transient MappedChange<?, ?> retraction;

    public UnmappableChangeException(final String message) {
        super(message);
    }

    public UnmappableChangeException(final String message, final Throwable cause) {
        super(message, cause);
    }

    /** This exception, with the change to produce along with the dead letter. */
    public UnmappableChangeException withRetraction(final MappedChange<?, ?> change) {
        this.retraction = change;
        return this;
    }

    /** The change produced along with the dead letter, if any. */
    public Optional<MappedChange<?, ?>> retraction() {
        return Optional.ofNullable(retraction);
    }
}
