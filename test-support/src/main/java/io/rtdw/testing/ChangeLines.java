package io.rtdw.testing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rtdw.catalog.SourceChange;
import io.rtdw.position.SourcePosition;
import io.rtdw.schemas.Customer;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.Flight;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.schemas.Vehicle;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;
import org.apache.avro.specific.SpecificRecord;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Function;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The JSON-lines format of source changes read by the replay command and the scenario fixtures. One change per
 * line; blank lines and lines starting with {@code #} or {@code //} are ignored. See streams-app/README.md.
 * The position fields follow {@code SourceInfo}: {@code seq} is the change's own LSN ({@code sequence}), {@code
 * epoch}, {@code commit} ({@code commit_sequence}) and {@code order} ({@code change_order}; a number becomes 16 hex
 * digits) its place in the source's commit order; a line without {@code commit} is a change written before
 * positions had one, ordered by {@code seq}.
 *
 * <p>Strict: every field must have its type (an id is a JSON integer in the int range, not {@code true}, not
 * {@code "5"}, not {@code 4294967298}; a date is {@code yyyy-mm-dd}; ...), and a field the line or its table does not
 * have is an error. {@link #parse} reports every error of the input, one per problem, each naming its line and
 * field, in one {@link InvalidInput}.
 *
 * <pre>
 * {"table":"customers","op":"CREATE","id":1,"after":{"nome":"Ana","nascimento":"1990-03-04"},"ts":1000}
 * {"table":"flight","op":"UPDATE","id":10,"after":{"customer_id":1,"linha_aerea":"GOL"},"ts":1010,"seq":7}
 * {"table":"vehicle","op":"DELETE","id":5,"ts":1020}
 * {"table":"customers","op":"UPDATE","id":2,"after":{"nome":"Bia"},"seq":90,"epoch":"pg:1:1","commit":300,"order":90}
 * {"table":"customers","id":1,"tombstone":true}
 * {"table":"customers","id":1,"raw":"not avro"}
 * </pre>
 */
public final class ChangeLines {

    /** One parsed line: a change, a tombstone ({@code value == null}), or raw bytes (a poison pill). */
    public record Line(SourceChange.Table table, SpecificRecord key, SpecificRecord value, byte[] raw,
                       long timestampMs, int lineNumber) {
    }

    /** The input has errors: {@link #errors()} lists each ({@code line N: field 'F': ...}); the message joins them. */
    public static final class InvalidInput extends IllegalArgumentException {
        private final List<String> errors;

        InvalidInput(final List<String> errors) {
            super(String.join("\n", errors));
            this.errors = List.copyOf(errors);
        }

        public List<String> errors() {
            return errors;
        }
    }

    /** The fields of a line, in the order the format documents them. */
    public static final List<String> LINE_FIELDS = List.of("table", "op", "id", "after", "before", "ts", "seq",
            "epoch", "commit", "order", "snapshot", "position", "db", "tombstone", "raw");
    /**
     * The source columns of each table, as {@code after}/{@code before} name them (PostgreSQL's:
     * cdc-sources/src/main/resources/sql/001_schema.sql).
     */
    public static final Map<SourceChange.Table, List<String>> COLUMNS = Map.of(
            SourceChange.Table.CUSTOMERS, List.of("id", "nome", "sexo", "endereco", "telefone", "email", "foto",
                    "nascimento", "profissao", "dt_update"),
            SourceChange.Table.FLIGHT, List.of("id", "customer_id", "aeroporto", "linha_aerea", "cod_iata",
                    "dt_update"),
            SourceChange.Table.VEHICLE, List.of("_id", "id", "customer_id", "ano_modelo", "modelo", "fabricante",
                    "ano_veiculo", "categoria", "dt_update"));

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Map<SourceChange.Table, Long> sequences = new HashMap<>();
    private long lastTs;
    private int lineNumber;

    /** Parses every line of {@code reader}; throws {@link InvalidInput} with every error of the input. */
    public static List<Line> parse(final BufferedReader reader) {
        final ChangeLines parser = new ChangeLines();
        final List<Line> lines = new ArrayList<>();
        final List<String> errors = new ArrayList<>();
        try {
            String text;
            while ((text = reader.readLine()) != null) {
                try {
                    final Line line = parser.parseLine(text);
                    if (line != null) {
                        lines.add(line);
                    }
                } catch (final InvalidInput e) {
                    errors.addAll(e.errors());
                }
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!errors.isEmpty()) {
            throw new InvalidInput(errors);
        }
        return lines;
    }

    /** Parses one line; null for blank and comment lines; {@link InvalidInput} with every error of the line. */
    public Line parseLine(final String text) {
        lineNumber++;
        final String trimmed = text.trim();
        if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith("//")) {
            return null;
        }
        final JsonNode n;
        try {
            n = JSON.readTree(trimmed);
        } catch (final JsonProcessingException e) {
            throw new InvalidInput(List.of("line " + lineNumber + ": not JSON: "
                    + e.getOriginalMessage().lines().findFirst().orElse("")));
        }
        if (!n.isObject()) {
            throw new InvalidInput(List.of("line " + lineNumber + ": not a JSON object"));
        }
        final Check check = new Check(lineNumber);
        final Line line = toLine(n, check);
        if (!check.errors.isEmpty()) {
            throw new InvalidInput(check.errors);
        }
        return line;
    }

    private Line toLine(final JsonNode n, final Check c) {
        c.unknown(n, "", LINE_FIELDS, "fields of a line");
        final SourceChange.Table table = c.value(n, "", "table", true, "customers, flight or vehicle",
                v -> v.isTextual() ? table(v.asText()) : null);
        final Integer id = c.int32(n, "", "id", true);
        final Long tsField = c.int64(n, "", "ts", false);
        final Boolean tombstone = c.bool(n, "tombstone");
        final String raw = c.text(n, "", "raw");
        final Op op = c.value(n, "", "op", !n.has("tombstone") && !n.has("raw"),
                "CREATE, UPDATE, DELETE or READ (or c, u, d, r, insert, replace)", v -> v.isTextual() ? op(v.asText()) : null);
        final Long seqField = c.int64(n, "", "seq", false);
        final String epoch = c.text(n, "", "epoch");
        final Long commit = c.int64(n, "", "commit", false);
        final String order = c.value(n, "", "order", false, "an integer or a string", v -> v.isTextual() ? v.asText()
                : v.isIntegralNumber() && v.canConvertToLong() ? SourcePosition.orderOf(v.asLong()) : null);
        final Boolean snapshot = c.bool(n, "snapshot");
        final String position = c.text(n, "", "position");
        final String db = c.text(n, "", "db");
        final Customer[] customers = new Customer[2];
        final Flight[] flights = new Flight[2];
        final Vehicle[] vehicles = new Vehicle[2];
        final String[] images = {"after", "before"};
        for (int i = 0; i < 2; i++) {
            final JsonNode row = n.get(images[i]);
            if (row == null || row.isNull()) {
                continue;
            }
            if (!row.isObject()) {
                c.error(images[i], "expected an object (the row), got " + row);
                continue;
            }
            if (table == null || id == null) {
                continue;
            }
            c.unknown(row, images[i] + ".", COLUMNS.get(table), "columns of " + tableName(table));
            switch (table) {
                case CUSTOMERS -> customers[i] = customer(row, images[i] + ".", id, c);
                case FLIGHT -> flights[i] = flight(row, images[i] + ".", id, c);
                case VEHICLE -> vehicles[i] = vehicle(row, images[i] + ".", id, c);
            }
        }
        if (!c.errors.isEmpty()) {
            return null;
        }
        final long ts = tsField != null ? tsField : lastTs + 1;
        lastTs = ts;
        final SpecificRecord key = switch (table) {
            case CUSTOMERS -> new CustomerKey(id);
            case FLIGHT -> new FlightKey(id);
            case VEHICLE -> new VehicleKey(id);
        };
        if (Boolean.TRUE.equals(tombstone)) {
            return new Line(table, key, null, null, ts, lineNumber);
        }
        if (raw != null) {
            return new Line(table, key, null, raw.getBytes(StandardCharsets.UTF_8), ts, lineNumber);
        }
        if (op == null) {
            c.error("op", "missing (a line that is neither a tombstone nor raw bytes is a change)");
            return null;
        }
        final long seq = seqField != null ? seqField : sequences.merge(table, 1L, Long::sum);
        sequences.merge(table, seq, Math::max);
        final SourceInfo source = SourceInfo.newBuilder()
                .setConnector(table == SourceChange.Table.VEHICLE ? "mongodb" : "postgresql")
                .setDb(db != null ? db : table == SourceChange.Table.VEHICLE ? "rtdw" : "app")
                .setTable(switch (table) {
                    case CUSTOMERS -> "public.customers";
                    case FLIGHT -> "public.flight";
                    case VEHICLE -> "vehicle";
                })
                .setCommitTsMs(ts)
                .setPosition(position != null ? position : "seq:" + seq)
                .setSequence(seq)
                .setSnapshot(op == Op.READ || Boolean.TRUE.equals(snapshot))
                .setTxId(null)
                .setEpoch(epoch != null ? epoch : "")
                .setCommitSequence(commit != null ? commit : -1)
                .setChangeOrder(order != null ? order : "")
                .build();
        final SpecificRecord value = switch (table) {
            case CUSTOMERS -> CustomerChange.newBuilder().setOp(op).setSource(source)
                    .setAfter(customers[0]).setBefore(customers[1]).build();
            case FLIGHT -> FlightChange.newBuilder().setOp(op).setSource(source)
                    .setAfter(flights[0]).setBefore(flights[1]).build();
            case VEHICLE -> VehicleChange.newBuilder().setOp(op).setSource(source)
                    .setAfter(vehicles[0]).setBefore(vehicles[1]).build();
        };
        return new Line(table, key, value, null, ts, lineNumber);
    }

    private static Customer customer(final JsonNode n, final String at, final int id, final Check c) {
        final Integer rowId = c.int32(n, at, "id", false);
        return Customer.newBuilder().setId(rowId != null ? rowId : id).setNome(c.text(n, at, "nome"))
                .setSexo(c.text(n, at, "sexo")).setEndereco(c.text(n, at, "endereco"))
                .setTelefone(c.text(n, at, "telefone")).setEmail(c.text(n, at, "email")).setFoto(c.text(n, at, "foto"))
                .setNascimento(c.value(n, at, "nascimento", false, "a date yyyy-mm-dd",
                        v -> v.isTextual() ? LocalDate.parse(v.asText()) : null))
                .setProfissao(c.text(n, at, "profissao"))
                .setDtUpdate(localTimestamp(n, at, c))
                .build();
    }

    private static Flight flight(final JsonNode n, final String at, final int id, final Check c) {
        final Integer rowId = c.int32(n, at, "id", false);
        final Integer customerId = c.int32(n, at, "customer_id", true);
        return Flight.newBuilder().setId(rowId != null ? rowId : id).setCustomerId(customerId != null ? customerId : 0)
                .setAeroporto(c.text(n, at, "aeroporto")).setLinhaAerea(c.text(n, at, "linha_aerea"))
                .setCodIata(c.text(n, at, "cod_iata"))
                .setDtUpdate(localTimestamp(n, at, c))
                .build();
    }

    private static Vehicle vehicle(final JsonNode n, final String at, final int id, final Check c) {
        final Integer rowId = c.int32(n, at, "id", false);
        final Integer mongoId = c.int32(n, at, "_id", false);
        final Integer customerId = c.int32(n, at, "customer_id", true);
        return Vehicle.newBuilder().setId(rowId != null ? rowId : mongoId != null ? mongoId : id)
                .setCustomerId(customerId != null ? customerId : 0)
                .setAnoModelo(c.text(n, at, "ano_modelo")).setModelo(c.text(n, at, "modelo"))
                .setFabricante(c.text(n, at, "fabricante"))
                .setAnoVeiculo(c.int32(n, at, "ano_veiculo", false))
                .setCategoria(c.text(n, at, "categoria"))
                .setDtUpdate(c.value(n, at, "dt_update", false, "an instant like 2024-05-01T10:00:00Z",
                        v -> v.isTextual() ? Instant.parse(v.asText()) : null))
                .build();
    }

    private static LocalDateTime localTimestamp(final JsonNode n, final String at, final Check c) {
        return c.value(n, at, "dt_update", false, "a timestamp like 2024-05-01T10:00:00 (no zone)",
                v -> v.isTextual() ? LocalDateTime.parse(v.asText()) : null);
    }

    /** The errors of one line, each naming the line and the field. */
    private static final class Check {
        private final int lineNumber;
        private final List<String> errors = new ArrayList<>();

        Check(final int lineNumber) {
            this.lineNumber = lineNumber;
        }

        void error(final String field, final String problem) {
            errors.add("line " + lineNumber + ": field '" + field + "': " + problem);
        }

        void unknown(final JsonNode n, final String at, final List<String> known, final String what) {
            final Set<String> unknown = new LinkedHashSet<>();
            for (final Iterator<String> names = n.fieldNames(); names.hasNext(); ) {
                final String name = names.next();
                if (!known.contains(name)) {
                    unknown.add(name);
                }
            }
            unknown.forEach(name -> error(at + name, "unknown (" + what + ": " + String.join(", ", known) + ")"));
        }

        /**
         * The field converted by {@code convert} (null from it: wrong type); null when absent, JSON null or wrong,
         * in which case an error says what was expected.
         */
        <T> T value(final JsonNode n, final String at, final String field, final boolean required,
                    final String expected, final Function<JsonNode, T> convert) {
            final JsonNode v = n.get(field);
            if (v == null || v.isNull()) {
                if (required) {
                    error(at + field, "missing");
                }
                return null;
            }
            T converted;
            try {
                converted = convert.apply(v);
            } catch (final IllegalArgumentException | DateTimeParseException e) {
                converted = null;
            }
            if (converted == null) {
                error(at + field, "expected " + expected + ", got " + v);
            }
            return converted;
        }

        Integer int32(final JsonNode n, final String at, final String field, final boolean required) {
            return value(n, at, field, required, "an integer from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE,
                    v -> v.isIntegralNumber() && v.canConvertToInt() ? v.intValue() : null);
        }

        Long int64(final JsonNode n, final String at, final String field, final boolean required) {
            return value(n, at, field, required, "an integer from " + Long.MIN_VALUE + " to " + Long.MAX_VALUE,
                    v -> v.isIntegralNumber() && v.canConvertToLong() ? v.longValue() : null);
        }

        String text(final JsonNode n, final String at, final String field) {
            return value(n, at, field, false, "a string", v -> v.isTextual() ? v.asText() : null);
        }

        Boolean bool(final JsonNode n, final String field) {
            return value(n, "", field, false, "true or false", v -> v.isBoolean() ? v.booleanValue() : null);
        }
    }

    private static String tableName(final SourceChange.Table table) {
        return switch (table) {
            case CUSTOMERS -> "customers";
            case FLIGHT -> "flight";
            case VEHICLE -> "vehicle";
        };
    }

    /** The table named {@code name}; null for an unknown name. */
    private static SourceChange.Table table(final String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "customers" -> SourceChange.Table.CUSTOMERS;
            case "flight", "flights" -> SourceChange.Table.FLIGHT;
            case "vehicle", "vehicles" -> SourceChange.Table.VEHICLE;
            default -> null;
        };
    }

    /** The op named {@code name}; null for an unknown name. */
    private static Op op(final String name) {
        return switch (name.toUpperCase(Locale.ROOT)) {
            case "C", "CREATE", "INSERT" -> Op.CREATE;
            case "U", "UPDATE", "REPLACE" -> Op.UPDATE;
            case "D", "DELETE" -> Op.DELETE;
            case "R", "READ" -> Op.READ;
            default -> null;
        };
    }
}
