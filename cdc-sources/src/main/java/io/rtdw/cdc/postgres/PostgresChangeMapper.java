package io.rtdw.cdc.postgres;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.engine.MappedChange;
import io.rtdw.cdc.engine.UnmappableChangeException;
import io.rtdw.position.SourcePosition;
import io.rtdw.schemas.Customer;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.Flight;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Maps Debezium PostgreSQL change events (Connect {@link SourceRecord}s with the standard envelope) of
 * {@code customers} and {@code flight} to {@link CustomerChange} / {@link FlightChange}.
 *
 * <p>Expects the connector settings of {@link PostgresCapture}: {@code time.precision.mode=adaptive} (dates as
 * days, {@code timestamp} as microseconds), {@code tombstones.on.delete=false}, {@code REPLICA IDENTITY FULL}.
 * A row that breaks the contract (a NOT NULL column that became nullable) raises
 * {@link UnmappableChangeException}; a truncate or a changed, dropped or renamed column stops the capture
 * ({@link SchemaGuard}); records that are not row changes (heartbeats) map to empty. A flight whose
 * {@code customer_id} cannot be read also carries a DELETE of that flight as its retraction (the SQL join no longer
 * has it under its old customer).
 *
 * <p>Source order (cdc-sources/README "Source order: PostgreSQL"): every change carries the capture's
 * {@code epoch}; a snapshot row carries the snapshot's point (its {@code source.lsn}) as {@code commit_sequence} and
 * an empty {@code change_order}; a streamed change carries its own LSN as {@code change_order} and
 * {@code commit_sequence} -1, which {@link io.rtdw.cdc.engine.CaptureConsumer} replaces by its transaction's commit
 * LSN ({@link #commitOf}) before producing it.
 */
public final class PostgresChangeMapper {

    /** {@code commit_sequence} of a streamed change whose transaction has not committed yet. */
    public static final long AWAITS_COMMIT = -1;

    private final TopicCatalog catalog;
    private final SchemaGuard guard;
    private final String epoch;

    /**
     * A mapper without epoch, for the Kafka Connect converter: it sees no transaction END, so streamed changes keep
     * {@code commit_sequence} -1 and order by {@code sequence} (the rule before v2, see the README).
     */
    public PostgresChangeMapper(final TopicCatalog catalog) {
        this(catalog, new SchemaGuard(null), "");
    }

    /** Without epoch (tests of the guard). @param guard stops the capture on a truncate or schema drift */
    public PostgresChangeMapper(final TopicCatalog catalog, final SchemaGuard guard) {
        this(catalog, guard, "");
    }

    /**
     * @param guard stops the capture on a truncate or schema drift ({@link SchemaGuard})
     * @param epoch the capture's epoch ({@link SourceEpoch}), written on every change
     */
    public PostgresChangeMapper(final TopicCatalog catalog, final SchemaGuard guard, final String epoch) {
        this.catalog = catalog;
        this.guard = guard;
        this.epoch = epoch;
    }

    /**
     * The commit position when {@code record} is the END of a transaction (Debezium's transaction metadata,
     * {@code provide.transaction.metadata=true}): the END is dispatched after the commit message, so its offset's
     * {@code lsn_commit} is the LSN of the commit, i.e. the transaction's end LSN. Empty for every other record.
     */
    public static OptionalLong commitOf(final SourceRecord record) {
        if (!(record.value() instanceof Struct value) || value.schema().field("status") == null
                || value.schema().field("op") != null || !"END".equals(value.getString("status"))) {
            return OptionalLong.empty();
        }
        final Map<String, ?> offset = record.sourceOffset();
        final Object commit = offset == null ? null : offset.get("lsn_commit");
        if (commit instanceof Long lsn) {
            return OptionalLong.of(lsn);
        }
        throw new IllegalStateException("transaction END without lsn_commit in its offset " + offset
                + ": cannot place its changes in commit order");
    }

    /** The mapped change, or empty when the record is not a row change of a captured table. */
    public Optional<MappedChange<?, ?>> map(final SourceRecord record) {
        if (!(record.value() instanceof Struct value) || value.schema().field("op") == null) {
            return Optional.empty(); // heartbeat, transaction marker or tombstone: nothing to produce
        }
        final Struct source = value.getStruct("source");
        final String table = source.getString("table");
        final String schema = source.getString("schema");
        if (!catalog.pgSchema().equals(schema)) {
            return Optional.empty();
        }
        guard.check(table, value); // truncate or schema drift: stops the capture (CaptureHaltException)
        final Op op = op(value.getString("op"));
        if (op == null) {
            return Optional.empty(); // truncate and logical-decoding messages are not row changes
        }
        final SourceInfo info = sourceInfo(source, epoch);
        final Struct before = value.getStruct("before");
        final Struct after = value.getStruct("after");
        try {
            switch (table) {
                case "customers" -> {
                    final CustomerChange change = CustomerChange.newBuilder().setOp(op)
                            .setBefore(before == null ? null : customer(before))
                            .setAfter(after == null ? null : customer(after)).setSource(info).build();
                    final int id = key(record, op == Op.DELETE ? before : after);
                    return Optional.of(new MappedChange<>(catalog.customers(), new CustomerKey(id), change,
                            info.getCommitTsMs(), info.getPosition()));
                }
                case "flight" -> {
                    final int id = key(record, op == Op.DELETE ? before : after);
                    final FlightChange change;
                    try {
                        change = FlightChange.newBuilder().setOp(op)
                                .setBefore(flightBefore(before))
                                .setAfter(after == null ? null : flight(after)).setSource(info).build();
                    } catch (final UnmappableChangeException e) {
                        throw e.withRetraction(flightGone(id, before, info));
                    }
                    return Optional.of(new MappedChange<>(catalog.flights(), new FlightKey(id), change,
                            info.getCommitTsMs(), info.getPosition()));
                }
                default -> {
                    return Optional.empty();
                }
            }
        } catch (final UnmappableChangeException e) {
            throw e;
        } catch (final RuntimeException e) {
            // Avro builders reject nulls in required fields; say which row it was.
            throw new UnmappableChangeException(schema + "." + table + " at " + info.getPosition() + ": "
                    + e.getMessage(), e);
        }
    }

    /** PostgreSQL LSN in its usual spelling, {@code 16/B374D848}. */
    public static String formatLsn(final long lsn) {
        return String.format("%X/%X", lsn >>> 32, lsn & 0xFFFFFFFFL);
    }

    /**
     * A DELETE of flight {@code id} at the position of the change that could not be mapped: whatever row the flight
     * now has, the SQL join no longer lists it under a customer the warehouse knows. The old row goes along when
     * it can be read (so the app knows the old owner).
     */
    private MappedChange<FlightKey, FlightChange> flightGone(final int id, final Struct before, final SourceInfo info) {
        Flight old = null;
        if (before != null) {
            try {
                old = flightBefore(before);
            } catch (final UnmappableChangeException e) {
                old = null; // the old image is as unreadable as the new one: the key alone retracts it
            }
        }
        final SourceInfo own = SourceInfo.newBuilder(info).build();
        final FlightChange delete = FlightChange.newBuilder().setOp(Op.DELETE).setBefore(old).setAfter(null)
                .setSource(own).build();
        return new MappedChange<>(catalog.flights(), new FlightKey(id), delete, own.getCommitTsMs(),
                own.getPosition());
    }

    private static Op op(final String code) {
        return switch (code) {
            case "c" -> Op.CREATE;
            case "u" -> Op.UPDATE;
            case "d" -> Op.DELETE;
            case "r" -> Op.READ;
            default -> null;
        };
    }

    /**
     * The change's place in the source. Snapshot rows: {@code commit_sequence} = their {@code lsn}, which Debezium
     * sets to the snapshot's point (the new slot's consistent point, or the WAL position read in the snapshot
     * transaction when the slot existed) = where streaming starts; {@code change_order} empty. Streamed changes:
     * {@code change_order} = own LSN, {@code commit_sequence} = {@link #AWAITS_COMMIT} until the END of their
     * transaction is seen.
     */
    static SourceInfo sourceInfo(final Struct source, final String epoch) {
        final Long lsn = source.getInt64("lsn");
        if (lsn == null) {
            throw new UnmappableChangeException("change of " + source.getString("table") + " has no LSN");
        }
        final Long txId = source.getInt64("txId");
        final String snapshot = source.getString("snapshot");
        // "true", "first", "last", "first_in_data_collection" ... all mean the row came from the snapshot.
        final boolean fromSnapshot = snapshot != null && !"false".equals(snapshot);
        return SourceInfo.newBuilder()
                .setConnector("postgresql")
                .setDb(source.getString("db"))
                .setTable(source.getString("schema") + "." + source.getString("table"))
                .setCommitTsMs(source.getInt64("ts_ms"))
                .setPosition(formatLsn(lsn))
                .setSequence(lsn)
                .setSnapshot(fromSnapshot)
                .setTxId(txId == null ? null : txId.toString())
                .setEpoch(epoch)
                .setCommitSequence(fromSnapshot ? lsn : AWAITS_COMMIT)
                .setChangeOrder(fromSnapshot ? "" : SourcePosition.orderOf(lsn))
                .build();
    }

    private static int key(final SourceRecord record, final Struct row) {
        if (record.key() instanceof Struct key && key.schema().field("id") != null) {
            return requireInt(key, "id", "key");
        }
        if (row == null) {
            throw new UnmappableChangeException("change without key and without row image");
        }
        return requireInt(row, "id", "row");
    }

    static Customer customer(final Struct row) {
        return Customer.newBuilder()
                .setId(requireInt(row, "id", "customers"))
                .setNome(string(row, "nome"))
                .setSexo(string(row, "sexo"))
                .setEndereco(string(row, "endereco"))
                .setTelefone(string(row, "telefone"))
                .setEmail(string(row, "email"))
                .setFoto(string(row, "foto"))
                .setNascimento(date(row, "nascimento"))
                .setProfissao(string(row, "profissao"))
                .setDtUpdate(micros(row, "dt_update"))
                .build();
    }

    /**
     * The old row of a flight change, or null when there is none or it does not name the customer: without {@code
     * REPLICA IDENTITY FULL} Debezium's before image carries only the key (the other columns null). No customer is
     * made up for it: a change without the old customer goes to every partition ({@code CustomerPartitioner}).
     */
    static Flight flightBefore(final Struct before) {
        if (before == null || field(before, "customer_id") == null) {
            return null;
        }
        return flight(before);
    }

    static Flight flight(final Struct row) {
        return Flight.newBuilder()
                .setId(requireInt(row, "id", "flight"))
                .setCustomerId(requireInt(row, "customer_id", "flight"))
                .setAeroporto(string(row, "aeroporto"))
                .setLinhaAerea(string(row, "linha_aerea"))
                .setCodIata(string(row, "cod_iata"))
                .setDtUpdate(micros(row, "dt_update"))
                .build();
    }

    private static Object field(final Struct row, final String name) {
        final Field field = row.schema().field(name);
        return field == null ? null : row.get(field);
    }

    private static int requireInt(final Struct row, final String name, final String what) {
        final Object v = field(row, name);
        if (v instanceof Integer i) {
            return i;
        }
        throw new UnmappableChangeException(what + "." + name + " must be a non-null int4, was "
                + (v == null ? "null" : v.getClass().getSimpleName() + " " + v));
    }

    private static String string(final Struct row, final String name) {
        final Object v = field(row, name);
        if (v == null || v instanceof String) {
            return (String) v;
        }
        throw new UnmappableChangeException(name + " must be text, was " + v.getClass().getSimpleName());
    }

    private static LocalDate date(final Struct row, final String name) {
        final Object v = field(row, name);
        if (v == null) {
            return null;
        }
        if (v instanceof Integer days) {
            return LocalDate.ofEpochDay(days); // io.debezium.time.Date: days since epoch
        }
        throw new UnmappableChangeException(name + " must be a date (days since epoch), was "
                + v.getClass().getSimpleName() + " " + v);
    }

    private static LocalDateTime micros(final Struct row, final String name) {
        final Object v = field(row, name);
        if (v == null) {
            return null;
        }
        if (v instanceof Long micros) {
            // io.debezium.time.MicroTimestamp: the wall-clock value (no zone) as microseconds since the epoch
            return LocalDateTime.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                    (int) Math.floorMod(micros, 1_000_000L) * 1000, ZoneOffset.UTC);
        }
        throw new UnmappableChangeException(name + " must be a timestamp (microseconds), was "
                + v.getClass().getSimpleName() + " " + v);
    }
}
