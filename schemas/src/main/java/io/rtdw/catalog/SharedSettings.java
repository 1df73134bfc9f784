package io.rtdw.catalog;

import io.rtdw.runtime.Setting;

/**
 * The environment variables that more than one program reads, declared once: where the source tables are (the
 * capture reads them to capture, {@code rtdw reconcile} and {@code rtdw erase} to compare and check), and the cap on
 * the unified record's arrays (the streams app applies it, reconcile checks families above it by count). The
 * programs list these objects in their own settings; the name, default and meaning live only here.
 */
public final class SharedSettings {

    private SharedSettings() {
    }

    public static final Setting<String> PG_HOST = Setting.string("PG_HOST", "localhost", "PostgreSQL host");
    public static final Setting<Integer> PG_PORT = Setting.integer("PG_PORT", 5432, 1, 65535, "PostgreSQL port");
    public static final Setting<String> PG_DATABASE = Setting.string("PG_DATABASE", "postgres",
            "database holding the customers and flight tables");
    public static final Setting<String> PG_USER = Setting.string("PG_USER", "postgres",
            "PostgreSQL role: the capture's needs REPLICATION and SELECT on the tables, reconcile's SELECT only");
    public static final Setting<String> PG_PASSWORD = Setting.string("PG_PASSWORD", "", "its password").secret();
    public static final Setting<String> MONGODB_URI = Setting.string("MONGODB_URI", "",
            "replica-set URI of MongoDB, e.g. mongodb://user:pw@mongodb:27017/?replicaSet=rs0; required when "
                    + "RTDW_CDC_SOURCES includes mongodb").secret();
    public static final Setting<Integer> MAX_CHILDREN = Setting.integer("RTDW_MAX_CHILDREN", 100, 1, 1_000_000,
            "max flights and max vehicles in one output record (counts stay exact)");
}
