package io.rtdw.k8s;

import io.rtdw.cdc.CdcMain;
import io.rtdw.lake.LakeSinkMain;
import io.rtdw.streams.StreamsApp;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each service's real {@code main}, as the container runs it, with an empty environment: {@code --help} exits 0, and
 * without configuration it exits 2 naming every required variable (a pod that forgets {@code RTDW_REGISTRY_URL}
 * does not start writing schema ids no registry knows).
 */
class ServiceCommandsTest {

    @ParameterizedTest
    @ValueSource(classes = {StreamsApp.class, CdcMain.class, LakeSinkMain.class})
    void helpExitsZeroAndAMissingRequiredVariableExitsTwo(final Class<?> main) throws Exception {
        final Result help = run(main, "--help");
        assertEquals(0, help.status, help.out);
        assertTrue(help.out.contains("RTDW_REGISTRY_URL") && help.out.contains("Exit status"), help.out);

        final Result bare = run(main);
        assertEquals(2, bare.status, bare.out);
        assertTrue(bare.out.contains("RTDW_REGISTRY_URL is required"), bare.out);
        assertFalse(bare.out.contains("Exception"), "a configuration error is a message, not a stack trace: " + bare.out);

        final Result unknown = run(main, "--bootstrap=x");
        assertEquals(2, unknown.status, unknown.out);
    }

    private record Result(int status, String out) {
    }

    private static Result run(final Class<?> main, final String... args) throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx128m", "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().clear();
        final Process process = builder.start();
        process.getOutputStream().close();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), main.getSimpleName() + " did not exit: " + out);
        return new Result(process.exitValue(), out);
    }
}
