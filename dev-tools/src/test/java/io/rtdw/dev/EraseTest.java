package io.rtdw.dev;

import io.rtdw.cli.Help;
import io.rtdw.runtime.Setting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The erase command line: usage errors exit 2 before anything is read or written; the help names every variable. */
class EraseTest {

    @TempDir
    Path dir;

    @Test
    void helpNamesEveryVariableAndOption() {
        final String help = Help.text("erase");
        for (final Setting<?> s : Erase.SETTINGS) {
            assertTrue(help.contains(s.displayName()), "erase.txt lacks " + s.displayName());
        }
        for (final String option : List.of("--customer", "--dry-run", "--skip-source-check", "--lake", "--s3")) {
            assertTrue(help.contains(option), "erase.txt lacks " + option);
        }
    }

    @Test
    void optionsAreParsed() {
        final Erase.Options o = Erase.parse(List.of("--customer", "42", "--dry-run", "--lake", dir.toString(), "--s3"));
        assertEquals(new Erase.Options(42, true, false, dir, true), o);
        assertEquals(new Erase.Options(-3, false, true, null, false),
                Erase.parse(List.of("--skip-source-check", "--customer", "-3")));
    }

    @Test
    void usageErrorsExitTwoWithTheReason() {
        assertUsage(List.of(), "--customer N is required");
        assertUsage(List.of("--customer"), "--customer needs a customer id");
        assertUsage(List.of("--customer", "seven"), "--customer needs an integer id, got 'seven'");
        assertUsage(List.of("--customer", "7", "--bogus"), "unknown argument '--bogus'");
        assertUsage(List.of("--customer", "7", "--lake", dir.resolve("missing").toString()), "is not a directory");
    }

    @Test
    void aMissingRegistryOrS3SettingIsAUsageError() {
        final Run r = run(List.of("--customer", "7", "--s3", "--skip-source-check"), Map.of());
        assertEquals(Help.USAGE, r.code, r.err);
        assertTrue(r.err.contains("RTDW_REGISTRY_URL"), r.err);
        assertTrue(r.err.contains("S3_ENDPOINT"), r.err);
        assertFalse(r.out.contains("tombstone"), r.out);
    }

    private static void assertUsage(final List<String> args, final String message) {
        final Run r = run(args, Map.of());
        assertEquals(Help.USAGE, r.code, r.err);
        assertTrue(r.err.startsWith("rtdw erase: ") && r.err.contains(message), r.err);
        assertEquals("", r.out);
    }

    private record Run(int code, String out, String err) {
    }

    private static Run run(final List<String> args, final Map<String, String> env) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Erase.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
