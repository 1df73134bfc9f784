package io.rtdw.dev;

import io.rtdw.testing.ChangeLines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplayTest {

    private static List<String> replay(final String input, final boolean deadLetters) {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Replay.run(ChangeLines.parse(new BufferedReader(new StringReader(input))), 100, deadLetters,
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void printsOneJsonLinePerOutputRecord() {
        final List<String> out = replay("""
                {"table":"customers","op":"CREATE","id":1,"after":{"nome":"Ana"},"ts":1000}
                {"table":"flight","op":"CREATE","id":10,"after":{"customer_id":1,"linha_aerea":"GOL"},"ts":1001}
                {"table":"customers","op":"DELETE","id":1,"ts":1002}
                """, false);
        assertEquals(4, out.size(), String.join("\n", out));
        assertTrue(out.get(0).contains("\"name\": \"Ana\"") && out.get(0).contains("\"version\": 1"), out.get(0));
        assertTrue(out.get(1).contains("\"airline\": \"GOL\"") && out.get(1).contains("\"version\": 2"), out.get(1));
        assertTrue(out.get(2).contains("\"deleted\": true"), out.get(2));
        assertEquals("{\"customer_id\": 1, \"tombstone\": true}", out.get(3));
    }

    @Test
    void showsDeadLettersWhenAsked() {
        final List<String> out = replay("{\"table\":\"customers\",\"id\":5,\"raw\":\"garbage\"}\n", true);
        assertEquals(1, out.size());
        assertTrue(out.get(0).startsWith("{\"dead_letter\": ") && out.get(0).contains("not registry-framed Avro"), out.get(0));
    }

    @Test
    void aMalformedLineNamesItsNumber() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChangeLines.parse(
                new BufferedReader(new StringReader("# comment\n{\"table\":\"boats\",\"id\":1}\n"))));
        assertTrue(e.getMessage().startsWith("line 2:"), e.getMessage());
    }

    /** What the command printed and returned. */
    private record Result(int exit, String out, List<String> err) {
    }

    private static Result command(final String stdin, final String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Replay.run(List.of(args), new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8).lines().toList());
    }

    private static final String INT = "expected an integer from -2147483648 to 2147483647, got ";
    private static final String LONG = "expected an integer from -9223372036854775808 to 9223372036854775807, got ";

    /** One bad line on stdin: exit 2, nothing on stdout, exactly {@code error} then the summary on stderr. */
    private static void rejects(final String line, final String error) {
        final Result r = command("{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":7,\"after\":{\"nome\":\"Ok\"}}\n" + line
                + "\n");
        assertEquals(2, r.exit(), r.err().toString());
        assertEquals("", r.out());
        assertEquals(List.of("rtdw replay: standard input: line 2: " + error,
                "rtdw replay: 1 error in standard input: nothing replayed"), r.err());
    }

    @Test
    void aBooleanIdIsNotCustomerOne() {
        rejects("{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":true}", "field 'id': " + INT + "true");
    }

    @Test
    void anIdBeyondIntDoesNotWrap() {
        rejects("{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":4294967298}", "field 'id': " + INT + "4294967298");
        rejects("{\"table\":\"flight\",\"op\":\"CREATE\",\"id\":1,\"after\":{\"customer_id\":4294967298}}",
                "field 'after.customer_id': " + INT + "4294967298");
    }

    @Test
    void aStringOrFractionalIdIsRejected() {
        rejects("{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":\"5\"}", "field 'id': " + INT + "\"5\"");
        rejects("{\"table\":\"vehicle\",\"op\":\"CREATE\",\"id\":1.5}", "field 'id': " + INT + "1.5");
    }

    @Test
    void aNonNumericSeqIsNotZero() {
        rejects("{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":1,\"seq\":\"x\"}", "field 'seq': " + LONG + "\"x\"");
    }

    @Test
    void positionNumbersAreChecked() {
        rejects("{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":1,\"ts\":\"now\"}", "field 'ts': " + LONG + "\"now\"");
        rejects("{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":1,\"commit\":1e3}", "field 'commit': " + LONG + "1000.0");
        rejects("{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":1,\"order\":[1]}",
                "field 'order': expected an integer or a string, got [1]");
        rejects("{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":1,\"epoch\":1}", "field 'epoch': expected a string, got 1");
    }

    @Test
    void anUnknownColumnIsNotIgnored() {
        rejects("{\"table\":\"customers\",\"op\":\"UPDATE\",\"id\":1,\"after\":{\"name\":\"Ana\"}}",
                "field 'after.name': unknown (columns of customers: id, nome, sexo, endereco, telefone, email, foto, "
                        + "nascimento, profissao, dt_update)");
        rejects("{\"table\":\"flight\",\"op\":\"DELETE\",\"id\":1,\"before\":{\"customer_id\":1,\"nome\":\"x\"}}",
                "field 'before.nome': unknown (columns of flight: id, customer_id, aeroporto, linha_aerea, cod_iata, "
                        + "dt_update)");
    }

    @Test
    void anUnknownLineFieldIsNotIgnored() {
        rejects("{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":1,\"timestamp\":5}",
                "field 'timestamp': unknown (fields of a line: table, op, id, after, before, ts, seq, epoch, commit, "
                        + "order, snapshot, position, db, tombstone, raw)");
    }

    @Test
    void datesAndTimestampsHaveTheirFormats() {
        rejects("{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":1,\"after\":{\"nascimento\":\"04/03/1990\"}}",
                "field 'after.nascimento': expected a date yyyy-mm-dd, got \"04/03/1990\"");
        rejects("{\"table\":\"flight\",\"op\":\"CREATE\",\"id\":1,\"after\":{\"customer_id\":1,"
                + "\"dt_update\":\"2024-05-01T10:00:00Z\"}}",
                "field 'after.dt_update': expected a timestamp like 2024-05-01T10:00:00 (no zone), got \"2024-05-01T10:00:00Z\"");
        rejects("{\"table\":\"vehicle\",\"op\":\"CREATE\",\"id\":1,\"after\":{\"customer_id\":1,"
                + "\"dt_update\":\"2024-05-01T10:00:00\"}}",
                "field 'after.dt_update': expected an instant like 2024-05-01T10:00:00Z, got \"2024-05-01T10:00:00\"");
    }

    @Test
    void textColumnsAndVehicleYearHaveTheirTypes() {
        rejects("{\"table\":\"vehicle\",\"op\":\"CREATE\",\"id\":1,\"after\":{\"customer_id\":1,\"ano_veiculo\":\"2019\"}}",
                "field 'after.ano_veiculo': " + INT + "\"2019\"");
        rejects("{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":1,\"after\":{\"telefone\":5511}}",
                "field 'after.telefone': expected a string, got 5511");
        rejects("{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":1,\"after\":[\"Ana\"]}",
                "field 'after': expected an object (the row), got [\"Ana\"]");
    }

    @Test
    void opTableAndFlagsAreEnums() {
        rejects("{\"table\":\"customers\",\"op\":\"UPSERT\",\"id\":1}",
                "field 'op': expected CREATE, UPDATE, DELETE or READ (or c, u, d, r, insert, replace), got \"UPSERT\"");
        rejects("{\"table\":\"boats\",\"op\":\"CREATE\",\"id\":1}",
                "field 'table': expected customers, flight or vehicle, got \"boats\"");
        rejects("{\"table\":\"customers\",\"id\":1,\"tombstone\":\"yes\"}", "field 'tombstone': expected true or false, got \"yes\"");
        rejects("{\"table\":\"customers\",\"op\":\"READ\",\"id\":1,\"snapshot\":1}", "field 'snapshot': expected true or false, got 1");
        rejects("{\"table\":\"customers\",\"id\":1}", "field 'op': missing");
        rejects("{\"table\":\"flight\",\"op\":\"CREATE\",\"id\":1,\"after\":{\"aeroporto\":\"GRU\"}}",
                "field 'after.customer_id': missing");
    }

    @Test
    void aLineMustBeOneJsonObject() {
        rejects("{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":1,\"id\":2}",
                "not JSON: Duplicate field 'id'");
        rejects("[1, 2]", "not a JSON object");
    }

    @Test
    void everyErrorOfTheFileIsReportedNotOnlyTheFirst(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("changes.jsonl");
        Files.writeString(file, """
                # a comment, then one good line and three bad ones
                {"table":"customers","op":"CREATE","id":1,"after":{"nome":"Ana"}}
                {"table":"customers","op":"CREATE","id":true,"seq":"x"}

                {"table":"flight","op":"CREATE","id":2,"after":{"customer_id":1,"gate":"B"}}
                {"table":"vehicle","op":"CREATE","id":3,"after":{"customer_id":4294967298}}
                """);
        final Result r = command("", file.toString());
        assertEquals(2, r.exit());
        assertEquals("", r.out());
        final String at = "rtdw replay: " + file + ": ";
        assertEquals(List.of(
                at + "line 3: field 'id': " + INT + "true",
                at + "line 3: field 'seq': " + LONG + "\"x\"",
                at + "line 5: field 'after.gate': unknown (columns of flight: id, customer_id, aeroporto, linha_aerea, "
                        + "cod_iata, dt_update)",
                at + "line 6: field 'after.customer_id': " + INT + "4294967298",
                "rtdw replay: 4 errors in " + file + ": nothing replayed"), r.err());
    }

    @Test
    void aValidFileReplaysAsTheLinesDo(@TempDir final Path dir) throws Exception {
        final String input = """
                {"table":"customers","op":"c","id":-1,"after":{"nome":"Ana","nascimento":"1990-03-04","dt_update":"2024-05-01T10:00:00"},"ts":1000}
                {"table":"vehicles","op":"replace","id":9,"after":{"_id":9,"customer_id":-1,"ano_veiculo":2019,"dt_update":"2024-05-01T10:00:00Z"},"seq":4294967298}
                {"table":"flights","op":"CREATE","id":10,"after":{"customer_id":-1,"linha_aerea":null},"epoch":"pg:1:1","commit":5,"order":5,"snapshot":false,"db":"app","position":"0/1"}
                """;
        final Path file = dir.resolve("ok.jsonl");
        Files.writeString(file, input);
        final Result r = command("", file.toString(), "--max-children", "1");
        assertEquals(List.of(), r.err());
        assertEquals(0, r.exit());
        final List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size(), r.out());
        assertTrue(lines.get(2).contains("\"vehicle_count\": 1") && lines.get(2).contains("\"flight_count\": 1"), lines.get(2));
        assertEquals(r.out(), command(input, "-", "--max-children", "1").out(), "stdin reads the same");
    }

    @Test
    void aMissingFileIsOneLine() {
        final Result r = command("", "/no/such/changes.jsonl");
        assertEquals(2, r.exit());
        assertEquals(List.of("rtdw replay: no such file: /no/such/changes.jsonl"), r.err());
    }

    @Test
    void badOptionsAreOneLine() {
        assertEquals(new Result(2, "", List.of("rtdw replay: --max-children must be a whole number from 1 to "
                + "2147483647, not 'abc' (see: rtdw replay --help)")), command("", "--max-children", "abc"));
        assertEquals(new Result(2, "", List.of("rtdw replay: --max-children must be a whole number from 1 to "
                + "2147483647, not '0' (see: rtdw replay --help)")), command("", "--max-children", "0"));
        assertEquals(new Result(2, "", List.of("rtdw replay: --max-children needs a value (see: rtdw replay --help)")),
                command("", "--max-children"));
        assertEquals(new Result(2, "", List.of("rtdw replay: unknown option '--follow' (see: rtdw replay --help)")),
                command("", "--follow"));
        assertEquals(new Result(2, "", List.of("rtdw replay: one input only, got 'a' and 'b' (see: rtdw replay --help)")),
                command("", "a", "b"));
    }
}
