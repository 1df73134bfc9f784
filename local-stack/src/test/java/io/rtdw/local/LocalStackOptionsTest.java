package io.rtdw.local;

import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalStackOptionsTest {

    @Test
    void defaults() {
        final LocalStackOptions o = LocalStackOptions.parse();
        assertEquals(20, o.rate());
        assertEquals(Duration.ZERO, o.duration());
        assertEquals(42, o.seed());
        assertEquals(Path.of(".rtdw", "local-stack"), o.dataDir());
        assertFalse(o.keepData());
        assertEquals(55432, o.port("--pg-port"));
        assertEquals(9000, o.port("--pinot-controller-port"));
        assertEquals(LocalStackOptions.DEFAULT_PORTS.keySet(), o.ports().keySet());
    }

    @Test
    void everyOption() {
        final LocalStackOptions o = LocalStackOptions.parse("--rate", "7.5", "--duration", "2m", "--seed", "-3",
                "--data-dir", "/tmp/x", "--keep-data", "--progress", "2", "--pg-port", "6000", "--s3-port", "6001");
        assertEquals(7.5, o.rate());
        assertEquals(Duration.ofMinutes(2), o.duration());
        assertEquals(-3, o.seed());
        assertEquals(Path.of("/tmp/x"), o.dataDir());
        assertTrue(o.keepData());
        assertEquals(Duration.ofSeconds(2), o.progressEvery());
        assertEquals(6000, o.port("--pg-port"));
        assertEquals(6001, o.port("--s3-port"));
    }

    @Test
    void durations() {
        assertEquals(Duration.ofSeconds(90), LocalStackOptions.duration("90"));
        assertEquals(Duration.ofSeconds(90), LocalStackOptions.duration("90s"));
        assertEquals(Duration.ofHours(1), LocalStackOptions.duration("1h"));
        assertEquals(Duration.ZERO, LocalStackOptions.duration("0"));
        assertThrows(IllegalArgumentException.class, () -> LocalStackOptions.duration("soon"));
        assertThrows(IllegalArgumentException.class, () -> LocalStackOptions.duration("-5"));
    }

    @Test
    void errorsNameTheOption() {
        assertMessage("unknown option --rat", "--rat", "5");
        assertMessage("--rate must be > 0", "--rate", "0");
        assertMessage("--rate must be a number", "--rate", "fast");
        assertMessage("--seed needs a value", "--seed");
        assertMessage("--pg-port must be in 1..65535", "--pg-port", "70000");
        assertMessage("--pg-port and --s3-port both need port 7000", "--pg-port", "7000", "--s3-port", "7000");
    }

    @Test
    void aTakenPortIsReportedWithItsOption() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            final LocalStackOptions o = LocalStackOptions.parse("--lake-http-port", String.valueOf(taken.getLocalPort()));
            final String all = String.join("\n", o.portsInUse());
            assertTrue(all.contains("port " + taken.getLocalPort() + " (lake sink /metrics and /health) is in use"), all);
            assertTrue(all.contains("--lake-http-port <port>"), all);
        }
    }

    @Test
    void helpDocumentsEveryOption() {
        for (final String option : LocalStackOptions.DEFAULT_PORTS.keySet()) {
            assertTrue(LocalStackOptions.HELP.contains(option + " P"), option);
        }
        for (final String option : new String[] {"--rate", "--duration", "--seed", "--data-dir", "--keep-data",
            "--progress", "--help", "MONGODB_URI"}) {
            assertTrue(LocalStackOptions.HELP.contains(option), option);
        }
    }

    private static void assertMessage(final String expected, final String... args) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LocalStackOptions.parse(args));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
