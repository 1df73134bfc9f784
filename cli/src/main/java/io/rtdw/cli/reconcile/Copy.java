package io.rtdw.cli.reconcile;

import java.util.Map;

/**
 * One copy of the warehouse as read: its live customers, and a line saying what was read.
 *
 * @param name   {@code output}, {@code pinot} or {@code parquet}
 * @param live   live customers by id
 * @param detail what was read (printed with the counts)
 */
public record Copy(String name, Map<Integer, View> live, String detail) {
}
