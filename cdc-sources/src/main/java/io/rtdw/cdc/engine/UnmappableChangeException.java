package io.rtdw.cdc.engine;

import java.util.Optional;

/**
 * A source change that breaks the change-record contract: it goes to the dead-letter topic, capture continues.
 *
 * <p>Some bad rows still say something certain about the source: a MongoDB vehicle whose {@code customer_id} is
 * missing or not an int is, for the SQL join, no longer under any customer. Such an exception carries that
 * {@link #implied() implied change} (there: a DELETE of the row at the same source position), which the capture
 * produces together with the dead letter.
 */
public final class UnmappableChangeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient MappedChange<?, ?> implied;

    public UnmappableChangeException(final String message) {
        this(message, null, null);
    }

    public UnmappableChangeException(final String message, final Throwable cause) {
        this(message, cause, null);
    }

    /**
     * @param implied the change the source's state implies although the row cannot be mapped; may be null
     */
    public UnmappableChangeException(final String message, final Throwable cause, final MappedChange<?, ?> implied) {
        super(message, cause);
        this.implied = implied;
    }

    /** The change to produce along with the dead letter, if the bad row implies one. */
    public Optional<MappedChange<?, ?>> implied() {
        return Optional.ofNullable(implied);
    }
}
