package io.rtdw.cdc.engine;

/** A source change that breaks the change-record contract: it goes to the dead-letter topic, capture continues. */
public final class UnmappableChangeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnmappableChangeException(final String message) {
        super(message);
    }

    public UnmappableChangeException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
