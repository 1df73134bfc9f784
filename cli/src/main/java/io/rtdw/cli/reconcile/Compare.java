package io.rtdw.cli.reconcile;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compares one copy's live customers with the ones the sources imply, field by field, and says per customer what
 * differs.
 *
 * <p>Children: the copy must state the exact counts. When a family has at most {@code maxChildren} children the
 * array must hold exactly the source's children, each with the source's fields. Above the cap the array holds the
 * most recently changed ones, which cannot be checked without commit times: then the array must hold exactly
 * {@code maxChildren} items, each a child of this customer at the source with the source's fields.
 */
public final class Compare {

    private Compare() {
    }

    /**
     * The differences of {@code actual} against {@code expected}, by customer id (ascending), each a list of phrases
     * such as {@code email 'a@x' != source 'b@x'}.
     */
    public static TreeMap<Integer, List<String>> differences(final Map<Integer, View> expected,
                                                             final Map<Integer, View> actual, final int maxChildren) {
        final TreeMap<Integer, List<String>> out = new TreeMap<>();
        final TreeSet<Integer> ids = new TreeSet<>(expected.keySet());
        ids.addAll(actual.keySet());
        for (final int id : ids) {
            final View want = expected.get(id);
            final View got = actual.get(id);
            final List<String> what = new ArrayList<>();
            if (got == null) {
                what.add("missing");
            } else if (want == null) {
                what.add("present, but the customer does not exist at the source");
            } else {
                fields("", View.FIELDS, want.fields(), got.fields(), what);
                count("flight_count", want.flightCount(), got.flightCount(), what);
                count("vehicle_count", want.vehicleCount(), got.vehicleCount(), what);
                children("flight", View.FLIGHT_FIELDS, want.flights(), got.flights(), maxChildren, what);
                children("vehicle", View.VEHICLE_FIELDS, want.vehicles(), got.vehicles(), maxChildren, what);
            }
            if (!what.isEmpty()) {
                out.put(id, what);
            }
        }
        return out;
    }

    private static void fields(final String prefix, final String[] names, final Map<String, String> want,
                               final Map<String, String> got, final List<String> what) {
        for (final String name : names) {
            final String w = want.get(name);
            final String g = got.get(name);
            if (!Objects.equals(w, g)) {
                what.add(prefix + name + " " + quote(g) + " != source " + quote(w));
            }
        }
    }

    private static void count(final String name, final int want, final int got, final List<String> what) {
        if (want != got) {
            what.add(name + " " + got + " != source " + want);
        }
    }

    private static void children(final String kind, final String[] names,
                                 final TreeMap<Integer, Map<String, String>> want,
                                 final TreeMap<Integer, Map<String, String>> got, final int maxChildren,
                                 final List<String> what) {
        if (want.size() <= maxChildren) {
            if (!want.keySet().equals(got.keySet())) {
                what.add(kind + "s " + ids(got.keySet()) + " != source " + ids(want.keySet()));
            }
        } else {
            if (got.size() != maxChildren) {
                what.add(kind + "s: " + got.size() + " shown, source has " + want.size() + " (above the cap "
                        + maxChildren + ": the newest " + maxChildren + " must be shown)");
            }
            final List<Integer> foreign = got.keySet().stream().filter(id -> !want.containsKey(id)).toList();
            if (!foreign.isEmpty()) {
                what.add(kind + "s " + ids(foreign) + " shown are not this customer's at the source");
            }
        }
        got.forEach((id, fields) -> {
            final Map<String, String> w = want.get(id);
            if (w != null) {
                fields(kind + " " + id + " ", names, w, fields, what);
            }
        });
    }

    private static String ids(final Collection<Integer> ids) {
        if (ids.size() <= 10) {
            return ids.toString();
        }
        return "[" + ids.stream().limit(10).map(String::valueOf).reduce((a, b) -> a + ", " + b).orElse("")
                + ", ... (" + ids.size() + ")]";
    }

    private static String quote(final String value) {
        return value == null ? "null" : "'" + value + "'";
    }
}
