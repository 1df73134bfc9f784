package io.rtdw.dev;

import io.rtdw.testing.ChangeLines;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
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
}
