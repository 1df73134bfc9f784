package io.rtdw.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code k8s/smoke-test.sh} against the local stack: {@code KUBECTL} and {@code DUCKDB} are the
 * stand-ins in {@code src/test/smoke} (kubectl exec mapped to the local PostgreSQL, Pinot broker and s3proxy bucket;
 * DuckDB through its JDBC driver). What the stand-ins map, and what they cannot (MongoDB), is written in them.
 */
final class SmokeTestScript {

    record Result(int exit, String output) {
    }

    private static final Path SCRIPT = Path.of("..", "k8s", "smoke-test.sh").toAbsolutePath().normalize();
    private static final Path STAND_INS = Path.of("src", "test", "smoke").toAbsolutePath();

    private final Map<String, String> env;
    private final Path work;

    SmokeTestScript(final int pgPort, final int pinotBrokerPort, final Path s3Dir, final Path work) {
        this.env = Map.of(
                "KUBECTL", STAND_INS.resolve("kubectl").toString(),
                "DUCKDB", STAND_INS.resolve("duckdb").toString(),
                "SMOKE_CLASSPATH", System.getProperty("java.class.path"),
                "SMOKE_PG_PORT", String.valueOf(pgPort),
                "SMOKE_PINOT_BROKER_PORT", String.valueOf(pinotBrokerPort),
                "SMOKE_S3_DIR", s3Dir.toString(),
                "SMOKE_POLL_SECONDS", "1");
        this.work = work;
    }

    /** Runs the script with these arguments; its output (stdout and stderr) is also printed. */
    Result run(final long limitSeconds, final String... args) throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        command.addAll(List.of(args));
        final Path log = Files.createTempFile(work, "smoke-test-", ".txt");
        final ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        pb.environment().putAll(env);
        pb.environment().put("TMPDIR", work.toString());
        final Process p = pb.start();
        if (!p.waitFor(limitSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor();
            throw new AssertionError("smoke-test.sh still running after " + limitSeconds + " s:\n"
                    + Files.readString(log, StandardCharsets.UTF_8));
        }
        final String output = Files.readString(log, StandardCharsets.UTF_8);
        System.out.println("smoke-test.sh " + String.join(" ", args) + " -> exit " + p.exitValue() + "\n" + output);
        return new Result(p.exitValue(), output);
    }
}
