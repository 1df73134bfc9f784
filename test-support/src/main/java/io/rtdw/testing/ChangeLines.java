package io.rtdw.testing;

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

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<SourceChange.Table, Long> sequences = new HashMap<>();
    private long lastTs;
    private int lineNumber;

    /** Parses every line of {@code reader}. */
    public static List<Line> parse(final BufferedReader reader) {
        final ChangeLines parser = new ChangeLines();
        final List<Line> lines = new ArrayList<>();
        try {
            String text;
            while ((text = reader.readLine()) != null) {
                final Line line = parser.parseLine(text);
                if (line != null) {
                    lines.add(line);
                }
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return lines;
    }

    /** Parses one line; null for blank and comment lines. */
    public Line parseLine(final String text) {
        lineNumber++;
        final String trimmed = text.trim();
        if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith("//")) {
            return null;
        }
        try {
            return toLine(JSON.readTree(trimmed));
        } catch (final IOException | RuntimeException e) {
            throw new IllegalArgumentException("line " + lineNumber + ": " + e.getMessage(), e);
        }
    }

    private Line toLine(final JsonNode n) {
        final SourceChange.Table table = table(required(n, "table").asText());
        final int id = required(n, "id").asInt();
        final long ts = n.has("ts") ? n.get("ts").asLong() : lastTs + 1;
        lastTs = ts;
        final SpecificRecord key = switch (table) {
            case CUSTOMERS -> new CustomerKey(id);
            case FLIGHT -> new FlightKey(id);
            case VEHICLE -> new VehicleKey(id);
        };
        if (n.path("tombstone").asBoolean(false)) {
            return new Line(table, key, null, null, ts, lineNumber);
        }
        if (n.has("raw")) {
            return new Line(table, key, null, n.get("raw").asText().getBytes(StandardCharsets.UTF_8), ts, lineNumber);
        }
        final Op op = op(required(n, "op").asText());
        final long seq = n.has("seq") ? n.get("seq").asLong() : sequences.merge(table, 1L, Long::sum);
        sequences.merge(table, seq, Math::max);
        final SourceInfo source = SourceInfo.newBuilder()
                .setConnector(table == SourceChange.Table.VEHICLE ? "mongodb" : "postgresql")
                .setDb(n.path("db").asText(table == SourceChange.Table.VEHICLE ? "rtdw" : "app"))
                .setTable(switch (table) {
                    case CUSTOMERS -> "public.customers";
                    case FLIGHT -> "public.flight";
                    case VEHICLE -> "vehicle";
                })
                .setCommitTsMs(ts)
                .setPosition(n.path("position").asText("seq:" + seq))
                .setSequence(seq)
                .setSnapshot(op == Op.READ || n.path("snapshot").asBoolean(false))
                .setTxId(null)
                .setEpoch(n.path("epoch").asText(""))
                .setCommitSequence(n.path("commit").asLong(-1))
                .setChangeOrder(!n.has("order") ? "" : n.get("order").isNumber()
                        ? SourcePosition.orderOf(n.get("order").asLong()) : n.get("order").asText())
                .build();
        final JsonNode after = n.get("after");
        final JsonNode before = n.get("before");
        final SpecificRecord value = switch (table) {
            case CUSTOMERS -> CustomerChange.newBuilder().setOp(op).setSource(source)
                    .setAfter(customer(after, id)).setBefore(customer(before, id)).build();
            case FLIGHT -> FlightChange.newBuilder().setOp(op).setSource(source)
                    .setAfter(flight(after, id)).setBefore(flight(before, id)).build();
            case VEHICLE -> VehicleChange.newBuilder().setOp(op).setSource(source)
                    .setAfter(vehicle(after, id)).setBefore(vehicle(before, id)).build();
        };
        return new Line(table, key, value, null, ts, lineNumber);
    }

    private static Customer customer(final JsonNode n, final int id) {
        if (n == null || n.isNull()) {
            return null;
        }
        return Customer.newBuilder().setId(n.path("id").asInt(id)).setNome(text(n, "nome")).setSexo(text(n, "sexo"))
                .setEndereco(text(n, "endereco")).setTelefone(text(n, "telefone")).setEmail(text(n, "email"))
                .setFoto(text(n, "foto"))
                .setNascimento(n.hasNonNull("nascimento") ? LocalDate.parse(n.get("nascimento").asText()) : null)
                .setProfissao(text(n, "profissao"))
                .setDtUpdate(n.hasNonNull("dt_update") ? LocalDateTime.parse(n.get("dt_update").asText()) : null)
                .build();
    }

    private static Flight flight(final JsonNode n, final int id) {
        if (n == null || n.isNull()) {
            return null;
        }
        return Flight.newBuilder().setId(n.path("id").asInt(id)).setCustomerId(required(n, "customer_id").asInt())
                .setAeroporto(text(n, "aeroporto")).setLinhaAerea(text(n, "linha_aerea")).setCodIata(text(n, "cod_iata"))
                .setDtUpdate(n.hasNonNull("dt_update") ? LocalDateTime.parse(n.get("dt_update").asText()) : null)
                .build();
    }

    private static Vehicle vehicle(final JsonNode n, final int id) {
        if (n == null || n.isNull()) {
            return null;
        }
        return Vehicle.newBuilder().setId(n.path("id").asInt(n.path("_id").asInt(id)))
                .setCustomerId(required(n, "customer_id").asInt())
                .setAnoModelo(text(n, "ano_modelo")).setModelo(text(n, "modelo")).setFabricante(text(n, "fabricante"))
                .setAnoVeiculo(n.hasNonNull("ano_veiculo") ? n.get("ano_veiculo").asInt() : null)
                .setCategoria(text(n, "categoria"))
                .setDtUpdate(n.hasNonNull("dt_update") ? Instant.parse(n.get("dt_update").asText()) : null)
                .build();
    }

    private static String text(final JsonNode n, final String field) {
        return n.hasNonNull(field) ? n.get(field).asText() : null;
    }

    private static JsonNode required(final JsonNode n, final String field) {
        if (!n.hasNonNull(field)) {
            throw new IllegalArgumentException("missing field '" + field + "'");
        }
        return n.get(field);
    }

    private static SourceChange.Table table(final String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "customers" -> SourceChange.Table.CUSTOMERS;
            case "flight", "flights" -> SourceChange.Table.FLIGHT;
            case "vehicle", "vehicles" -> SourceChange.Table.VEHICLE;
            default -> throw new IllegalArgumentException("unknown table '" + name + "': customers, flight or vehicle");
        };
    }

    private static Op op(final String name) {
        return switch (name.toUpperCase(Locale.ROOT)) {
            case "C", "CREATE", "INSERT" -> Op.CREATE;
            case "U", "UPDATE", "REPLACE" -> Op.UPDATE;
            case "D", "DELETE" -> Op.DELETE;
            case "R", "READ" -> Op.READ;
            default -> throw new IllegalArgumentException("unknown op '" + name + "': CREATE, UPDATE, DELETE or READ");
        };
    }
}
