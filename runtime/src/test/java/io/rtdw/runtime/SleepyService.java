package io.rtdw.runtime;

import java.util.List;

/** A service whose start never finishes (think: a store restoring), for {@link SigtermTest}. */
public final class SleepyService {

    static {
        ServiceMain.useServiceLogging();
    }

    private SleepyService() {
    }

    public static void main(final String[] args) {
        final Service service = new Service("sleepy", "sleepy", "starts forever", List.of(OpsServer.HTTP_PORT), "");
        ServiceMain.run(service, args, env -> "config", (config, metrics) -> {
            org.slf4j.LoggerFactory.getLogger(SleepyService.class).info("in start");
            try {
                Thread.sleep(600_000);
            } finally {
                org.slf4j.LoggerFactory.getLogger(SleepyService.class).info("start unwound");
            }
            throw new IllegalStateException("unreachable");
        });
    }
}
