package io.rtdw.cdc;

import io.rtdw.cdc.postgres.PostgresPreflight;
import io.rtdw.runtime.ConfigException;
import io.rtdw.runtime.Env;
import io.rtdw.runtime.Service;
import io.rtdw.runtime.ServiceMain;
import io.rtdw.runtime.Setting;
import io.rtdw.serde.RegistrySerdes;


/**
 * The CDC process: captures PostgreSQL {@code customers} and {@code flight} and the MongoDB {@code vehicle}
 * collection into the catalog's CDC topics. Configured only by environment variables ({@code --help}); lifecycle,
 * health, metrics and exit codes are the runtime's ({@link ServiceMain}).
 */
public final class CdcMain {

    static {
        ServiceMain.useServiceLogging();
    }

    /** What the process is and reads. */
    public static final Service SERVICE = new Service("cdc", "cdc", """
            captures PostgreSQL public.customers and public.flight (Debezium, pgoutput) and the MongoDB collection
            vehicle (Debezium, change streams) into the catalog's CDC topics. Offsets are kept in Kafka and committed
            only after Kafka acknowledged the change: a crash replays changes, it never loses one.""",
            Setting.concat(CdcConfig.SETTINGS, RegistrySerdes.SETTINGS), """
            CdcMain --reset-offsets (same environment, capture stopped): removes the stored offsets of the sources in
            RTDW_CDC_SOURCES and drops the PostgreSQL replication slot, so that the next start re-snapshots; the
            procedure after a restore, a TRUNCATE or schema drift (cdc-sources/README.md). Exit 0 done, 2 refused.""");

    private CdcMain() {
    }

    /** The validated configuration of the process. */
    record Config(CdcConfig cdc, RegistrySerdes registry) {
        static Config read(final Env env) {
            return new Config(CdcConfig.fromEnv(env), RegistrySerdes.fromEnv(env));
        }
    }

    public static void main(final String[] args) {
        if (args.length == 1 && ResetOffsets.FLAG.equals(args[0])) {
            final int status;
            try {
                status = ResetOffsets.run(CdcConfig.fromEnv(System.getenv()), System.out, System.err);
            } catch (final ConfigException e) {
                System.err.println("cdc: " + e.getMessage() + "\n(see --help)");
                System.exit(Service.EXIT_CONFIG);
                return;
            }
            System.exit(status);
        }
        ServiceMain.run(SERVICE, args, Config::read, (config, metrics) -> {
            try {
                return CdcProcess.start(config.cdc(), config.registry(), metrics, (message, error) -> { });
            } catch (final PostgresPreflight.MisconfigurationException e) {
                throw new ServiceMain.SetupException(e.getMessage(), e.getCause());
            }
        });
    }
}
