package io.rtdw.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code rtdw} script at the repository root: help for every command without a build (run with a PATH that has
 * no java and no mvn, so a build or a JVM start would fail), the same text the command's class prints, and one class
 * per command.
 */
class RtdwScriptTest {

    private static final Path SCRIPT = Path.of("..", "rtdw").toAbsolutePath().normalize();

    @TempDir
    Path bin;

    @Test
    void everyCommandHasHelpWithoutBuildingAndTheTextIsTheResource() throws Exception {
        for (final String command : Help.COMMANDS) {
            final Result r = run(command, "--help");
            assertEquals(0, r.code, command + ": " + r.err);
            assertEquals(Help.text(command), r.out, command);
            assertTrue(r.out.startsWith("Usage: rtdw " + command), command + " help starts with its usage line");
            assertEquals(Help.text(command), run("help", command).out, "rtdw help " + command);
        }
        final Result top = run("--help");
        assertEquals(0, top.code);
        assertEquals(Help.text("rtdw"), top.out);
    }

    @Test
    void theOverviewListsEveryCommandAndTheScriptRunsAClassForEach() throws IOException {
        final String overview = Help.text("rtdw");
        for (final String command : Help.COMMANDS) {
            assertTrue(Pattern.compile("(?m)^\\s+" + command + "\\s{2,}\\S").matcher(overview).find(),
                    "the overview lists " + command);
        }
        final Matcher m = Pattern.compile("(?m)^\\s+(\\w+)\\)\\s+main=").matcher(Files.readString(SCRIPT));
        final List<String> dispatched = new ArrayList<>();
        while (m.find()) {
            dispatched.add(m.group(1));
        }
        assertEquals(Help.COMMANDS, dispatched, "the script's dispatch table, in the help's order");
    }

    @Test
    void anUnknownCommandOrNoneIsAUsageError() throws Exception {
        final Result unknown = run("bogus");
        assertEquals(Help.USAGE, unknown.code);
        assertTrue(unknown.err.contains("unknown command 'bogus'"), unknown.err);
        assertEquals(Help.USAGE, run().code, "no command");
        assertEquals(Help.USAGE, run("help", "bogus").code);
    }

    private record Result(int code, String out, String err) {
    }

    /** Runs the script with a PATH of copies of bash, cat and dirname only. */
    private Result run(final String... args) throws Exception {
        for (final String tool : List.of("bash", "cat", "dirname")) {
            final Path link = bin.resolve(tool);
            if (!Files.exists(link)) {
                Files.copy(Path.of("/usr/bin", tool).toRealPath(), link);
                link.toFile().setExecutable(true);
            }
        }
        final List<String> cmd = new ArrayList<>(List.of(bin.resolve("bash").toString(), SCRIPT.toString()));
        cmd.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().put("PATH", bin.toString());
        final Path out = Files.createTempFile(bin, "out", ".txt");
        final Path err = Files.createTempFile(bin, "err", ".txt");
        final Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the script answers help without building");
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }
}
