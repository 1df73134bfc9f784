package io.rtdw.local;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The part of the DuckDB CLI that k8s/smoke-test.sh uses ({@code duckdb -csv -noheader -c SQL}), on the DuckDB JDBC
 * driver: no DuckDB CLI is installed on these machines. Rows are printed as comma-separated values, NULL as empty.
 * Exit 1 with the error on stderr when the query fails, 2 on other arguments.
 */
public final class DuckDbCli {

    private DuckDbCli() {
    }

    public static void main(final String[] args) {
        String sql = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-csv", "-noheader" -> { }
                case "-c" -> sql = ++i < args.length ? args[i] : null;
                default -> {
                    System.err.println("duckdb stand-in: unsupported argument " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (sql == null) {
            System.err.println("duckdb stand-in: -c SQL is required");
            System.exit(2);
        }
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement s = duck.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            final int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                final List<String> row = new ArrayList<>();
                for (int c = 1; c <= columns; c++) {
                    final String v = rs.getString(c);
                    row.add(v == null ? "" : v);
                }
                System.out.println(String.join(",", row));
            }
        } catch (final Exception e) {
            System.err.println("Error: " + e.getMessage());
            System.exit(1);
        }
    }
}
