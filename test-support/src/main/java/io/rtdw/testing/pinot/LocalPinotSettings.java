package io.rtdw.testing.pinot;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.runtime.Setting;

import java.util.List;

/**
 * The environment of the {@link LocalPinot} command, declared once: {@code LocalPinot} reads these, its
 * {@code --help} lists them, and the local stack sets them by these names.
 */
public final class LocalPinotSettings {

    /** The services' variable, required here: Pinot's table consumes from these brokers. */
    public static final Setting<String> BOOTSTRAP_SERVERS = KafkaClients.BOOTSTRAP_SERVERS.required();
    public static final Setting<String> DATA_DIR = Setting.string("RTDW_PINOT_DATA_DIR", ".rtdw/pinot",
            "Pinot's data directory (ZooKeeper, segments); its log is <dir>/pinot.log");
    public static final Setting<Integer> CONTROLLER_PORT = Setting.integer("RTDW_PINOT_CONTROLLER_PORT", 9000, 1,
            65535, "Pinot controller: UI and REST");
    public static final Setting<Integer> BROKER_PORT = Setting.integer("RTDW_PINOT_BROKER_PORT", 8099, 1, 65535,
            "Pinot broker: SQL at /query/sql");
    public static final Setting<Integer> ZK_PORT = Setting.integer("RTDW_PINOT_ZK_PORT", 2123, 1, 65535,
            "Pinot's ZooKeeper");
    public static final Setting<Integer> SERVER_PORT = Setting.integer("RTDW_PINOT_SERVER_PORT", 7098, 1, 65535,
            "Pinot server");
    public static final Setting<String> HEAP = Setting.string("RTDW_PINOT_HEAP", "768m",
            "max heap of Pinot's JVM (-Xmx)");
    public static final Setting<String> CLASSPATH_FILE = Setting.string("RTDW_PINOT_CLASSPATH_FILE",
            "pinot/target/pinot-runtime/pinot-classpath.txt", "Pinot 0.11's class path, one file (mvn -pl pinot package)");
    public static final Setting<String> PLUGIN_JAR = Setting.string("RTDW_PINOT_PLUGIN_JAR",
            "pinot/target/rtdw-pinot-0.1.0-SNAPSHOT-plugin.jar", "the decoder plugin jar (mvn -pl pinot package)");

    /** Every variable {@link LocalPinot} reads, in {@code --help} order ({@code RTDW_REGISTRY_URL} is in its notes). */
    public static final List<Setting<?>> SETTINGS = Setting.concat(List.of(BOOTSTRAP_SERVERS), TopicCatalog.SETTINGS,
            List.of(DATA_DIR, CONTROLLER_PORT, BROKER_PORT, ZK_PORT, SERVER_PORT, HEAP, CLASSPATH_FILE, PLUGIN_JAR));

    private LocalPinotSettings() {
    }
}
