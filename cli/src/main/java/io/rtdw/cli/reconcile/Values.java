package io.rtdw.cli.reconcile;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * The canonical text of a field value, the same whichever copy it was read from: every copy stores the same
 * value in its own type (a PostgreSQL {@code date}, Avro's days since the epoch, Pinot's INT, DuckDB's DATE), and
 * each reader turns it into this text before anything is compared.
 */
public final class Values {

    private static final DateTimeFormatter LOCAL_MICROS = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSS");

    private Values() {
    }

    /** A date ({@code birth_date}): ISO {@code yyyy-mm-dd}. */
    public static String date(final LocalDate date) {
        return date == null ? null : date.toString();
    }

    /** A date given as days since 1970-01-01. */
    public static String epochDay(final Number days) {
        return days == null ? null : LocalDate.ofEpochDay(days.longValue()).toString();
    }

    /** A timestamp without time zone ({@code updated_at} of customers and flights), to the microsecond. */
    public static String local(final LocalDateTime time) {
        return time == null ? null : time.truncatedTo(ChronoUnit.MICROS).format(LOCAL_MICROS);
    }

    /** A timestamp without time zone given as microseconds since 1970-01-01 00:00 (Avro, Pinot, DuckDB). */
    public static String localMicros(final Number micros) {
        if (micros == null) {
            return null;
        }
        final long us = micros.longValue();
        return local(LocalDateTime.ofEpochSecond(Math.floorDiv(us, 1_000_000L),
                (int) Math.floorMod(us, 1_000_000L) * 1000, ZoneOffset.UTC));
    }

    /** An instant to the millisecond ({@code updated_at} of vehicles: a BSON date). */
    public static String instant(final Instant time) {
        return time == null ? null : time.truncatedTo(ChronoUnit.MILLIS).toString();
    }

    /** An instant given as milliseconds since the epoch. */
    public static String epochMillis(final Number millis) {
        return millis == null ? null : instant(Instant.ofEpochMilli(millis.longValue()));
    }

    /** Any other value (text, whole numbers). */
    public static String text(final Object value) {
        return value == null ? null : value.toString();
    }
}
