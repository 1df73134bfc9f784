package io.rtdw.cli.reconcile;

import io.rtdw.catalog.SharedSettings;
import io.rtdw.runtime.Setting;

import java.util.List;

/**
 * The environment variables {@code rtdw reconcile} reads besides the runtime's Kafka settings, the topic catalog and
 * the registry. The PostgreSQL, MongoDB and cap ones are the capture's and the streams app's own, declared once in
 * {@link SharedSettings}: an operator sets each once for all.
 */
public final class ReconcileSettings {

    private ReconcileSettings() {
    }

    public static final Setting<String> PG_HOST = SharedSettings.PG_HOST;
    public static final Setting<Integer> PG_PORT = SharedSettings.PG_PORT;
    public static final Setting<String> PG_DATABASE = SharedSettings.PG_DATABASE;
    public static final Setting<String> PG_USER = SharedSettings.PG_USER;
    public static final Setting<String> PG_PASSWORD = SharedSettings.PG_PASSWORD;
    public static final Setting<String> MONGODB_URI = SharedSettings.MONGODB_URI;
    public static final Setting<String> PINOT_BROKER = Setting.string("RTDW_PINOT_BROKER_URL", "",
            "Pinot broker, e.g. http://pinot-broker:8099; empty: Pinot is not compared (unless --pinot is given)");
    public static final Setting<String> PINOT_USER = Setting.string("RTDW_PINOT_USER", "",
            "Pinot broker user for HTTP Basic Auth (empty: no credentials, as in the local stack)");
    public static final Setting<String> PINOT_PASSWORD = Setting.string("RTDW_PINOT_PASSWORD", "",
            "its password").secret();
    public static final Setting<Integer> MAX_CHILDREN = SharedSettings.MAX_CHILDREN;

    /** Every variable reconcile reads itself. */
    public static final List<Setting<?>> SETTINGS = List.of(PG_HOST, PG_PORT, PG_DATABASE, PG_USER, PG_PASSWORD,
            MONGODB_URI, PINOT_BROKER, PINOT_USER, PINOT_PASSWORD, MAX_CHILDREN);
}
