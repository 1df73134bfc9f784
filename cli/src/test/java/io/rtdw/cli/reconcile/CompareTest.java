package io.rtdw.cli.reconcile;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The comparison rules on hand-written rows: the expected side is built from source rows (customers, flights,
 * vehicles with their customer ids), the copy side by hand.
 */
class CompareTest {

    private static Map<String, String> customer(final String name, final String email) {
        final Map<String, String> f = new HashMap<>();
        f.put("name", name);
        f.put("email", email);
        f.put("birth_date", "1990-02-03");
        return f;
    }

    private static Map<String, String> flight(final String airline) {
        final Map<String, String> f = new HashMap<>();
        f.put("airline", airline);
        f.put("airport", "GRU");
        return f;
    }

    private static SourceState source() {
        final SourceState s = new SourceState();
        s.customer(1, customer("Ana", "ana@x"));
        s.customer(2, customer("Bruno", "bruno@x"));
        s.flight(10, 1, flight("TAP"));
        s.flight(11, 1, flight("GOL"));
        s.flight(12, 1, flight("Azul"));
        s.flight(20, 2, flight("LATAM"));
        s.flight(99, 7, flight("orphan"));
        return s;
    }

    private static View view(final int id, final Map<String, String> fields, final int flights,
                             final Map<Integer, Map<String, String>> shown) {
        return new View(id, fields, flights, 0, new TreeMap<>(shown), new TreeMap<>());
    }

    @Test
    void equalCopiesHaveNoDifferencesAndOrphansBelongToNoOne() {
        final SourceState s = source();
        assertEquals(1, s.orphans());
        final Map<Integer, View> copy = Map.of(
                1, view(1, customer("Ana", "ana@x"), 3, Map.of(10, flight("TAP"), 11, flight("GOL"), 12, flight("Azul"))),
                2, view(2, customer("Bruno", "bruno@x"), 1, Map.of(20, flight("LATAM"))));
        assertEquals(Map.of(), Compare.differences(s.expected(), copy, 100));
    }

    @Test
    void eachKindOfDifferenceIsNamed() {
        final Map<Integer, View> copy = Map.of(
                1, view(1, customer("Ana", "other@x"), 2, Map.of(10, flight("TAP"), 11, flight("Gol!"))),
                3, view(3, customer("Ghost", null), 0, Map.of()));
        final TreeMap<Integer, List<String>> d = Compare.differences(source().expected(), copy, 100);
        assertEquals(List.of("email 'other@x' != source 'ana@x'", "flight_count 2 != source 3",
                "flights [10, 11] != source [10, 11, 12]", "flight 11 airline 'Gol!' != source 'GOL'"), d.get(1));
        assertEquals(List.of("missing"), d.get(2));
        assertEquals(List.of("present, but the customer does not exist at the source"), d.get(3));
        assertEquals(3, d.size());
    }

    @Test
    void aboveTheCapTheCountAndEveryShownChildAreChecked() {
        final Map<Integer, View> ok = Map.of(
                1, view(1, customer("Ana", "ana@x"), 3, Map.of(11, flight("GOL"), 12, flight("Azul"))),
                2, view(2, customer("Bruno", "bruno@x"), 1, Map.of(20, flight("LATAM"))));
        assertEquals(Map.of(), Compare.differences(source().expected(), ok, 2), "any 2 of the 3 may be shown");
        final Map<Integer, View> wrong = Map.of(
                1, view(1, customer("Ana", "ana@x"), 3, Map.of(11, flight("GOL"), 20, flight("LATAM"),
                        12, flight("Azul"))),
                2, view(2, customer("Bruno", "bruno@x"), 1, Map.of(20, flight("LATAM"))));
        assertEquals(List.of("flights: 3 shown, source has 3 (above the cap 2: the newest 2 must be shown)",
                "flights [20] shown are not this customer's at the source"),
                Compare.differences(source().expected(), wrong, 2).get(1));
    }
}
