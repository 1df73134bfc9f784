package io.rtdw.cdc.engine;

/**
 * A source change the capture must not pass over: the source's history went where the warehouse cannot follow
 * (a {@code TRUNCATE}, a column whose type changed or that disappeared). Unlike {@link UnmappableChangeException}
 * it is not a dead letter: it fails the batch, so nothing of it is committed, the capture stops and the process
 * exits 2; a restart meets the same change again. The message names the table, the column when there is one, the
 * source position and the README section with the procedure.
 */
public final class CaptureHaltException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String table;
    private final String reason;

    /**
     * @param table  schema-qualified table ({@code public.customers})
     * @param reason metric label: {@code truncate} or {@code schema_drift}
     */
    public CaptureHaltException(final String table, final String reason, final String message) {
        super(message);
        this.table = table;
        this.reason = reason;
    }

    public String table() {
        return table;
    }

    public String reason() {
        return reason;
    }

    /** The halt in {@code error}'s cause chain, or {@code null}. */
    public static CaptureHaltException in(final Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof CaptureHaltException halt) {
                return halt;
            }
        }
        return null;
    }
}
