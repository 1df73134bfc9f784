package io.rtdw.cli.reconcile;

import io.rtdw.runtime.Setting;

import java.util.List;

/**
 * The environment variables {@code rtdw reconcile} reads besides the runtime's Kafka settings, the topic catalog and
 * the registry. The PostgreSQL and MongoDB ones carry the same names as the capture's (cdc-sources'
 * {@code CdcConfig}): the cli may not depend on a service module, and an operator sets each once for both.
 */
public final class ReconcileSettings {

    private ReconcileSettings() {
    }

    public static final Setting<String> PG_HOST = Setting.string("PG_HOST", "localhost",
            "PostgreSQL host of the source tables (the capture's variable)");
    public static final Setting<Integer> PG_PORT = Setting.integer("PG_PORT", 5432, 1, 65535, "PostgreSQL port");
    public static final Setting<String> PG_DATABASE = Setting.string("PG_DATABASE", "postgres",
            "database holding customers and flight");
    public static final Setting<String> PG_USER = Setting.string("PG_USER", "postgres",
            "PostgreSQL user (reconcile only reads: SELECT on customers and flight is enough)");
    public static final Setting<String> PG_PASSWORD = Setting.string("PG_PASSWORD", "", "its password").secret();
    public static final Setting<String> MONGODB_URI = Setting.string("MONGODB_URI", "",
            "MongoDB connection string of the vehicle collection; empty: no MongoDB (use --vehicles-from-topic)")
            .secret();
    public static final Setting<String> PINOT_BROKER = Setting.string("RTDW_PINOT_BROKER_URL", "",
            "Pinot broker, e.g. http://pinot-broker:8099; empty: Pinot is not compared (unless --pinot is given)");
    public static final Setting<String> PINOT_USER = Setting.string("RTDW_PINOT_USER", "",
            "Pinot broker user for HTTP Basic Auth (empty: no credentials, as in the local stack)");
    public static final Setting<String> PINOT_PASSWORD = Setting.string("RTDW_PINOT_PASSWORD", "",
            "its password").secret();
    public static final Setting<Integer> MAX_CHILDREN = Setting.integer("RTDW_MAX_CHILDREN", 100, 1, 1_000_000,
            "the streams app's cap on each array (its variable): families above it are checked by count");

    /** Every variable reconcile reads itself. */
    public static final List<Setting<?>> SETTINGS = List.of(PG_HOST, PG_PORT, PG_DATABASE, PG_USER, PG_PASSWORD,
            MONGODB_URI, PINOT_BROKER, PINOT_USER, PINOT_PASSWORD, MAX_CHILDREN);
}
