package io.rtdw.serde;

import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SchemaHistoryTest {

    /**
     * BACKWARD_TRANSITIVE, the rule the registry enforces in production (schemas/README.md): compacted topics keep
     * records of every version, so each version must read all earlier ones, not only the previous one.
     */
    @TestFactory
    Stream<DynamicTest> everyVersionReadsAllEarlierOnes() {
        return KnownSchemas.ALL.stream().map(current -> DynamicTest.dynamicTest(current.getName(), () -> {
            final List<Schema> history = new ArrayList<>(SchemaHistory.released(current.getName()));
            assertFalse(history.isEmpty(), current.getName() + " was never released: add released/"
                    + current.getName() + "/v1.avsc");
            history.add(current);
            for (int i = 1; i < history.size(); i++) {
                for (int earlier = 0; earlier < i; earlier++) {
                    assertNull(SchemaHistory.backwardIncompatibilities(history.get(i), history.get(earlier)),
                            current.getName() + " version " + (i + 1) + " cannot read version " + (earlier + 1));
                }
            }
        }));
    }

    @Test
    void aNewRequiredFieldIsRejected() {
        final Schema v1 = SchemaBuilder.record("R").fields().requiredInt("id").endRecord();
        final Schema v2 = SchemaBuilder.record("R").fields().requiredInt("id").requiredString("added").endRecord();
        final String problems = SchemaHistory.backwardIncompatibilities(v2, v1);
        assertNotNull(problems);
        assertTrue(problems.contains("added"), problems);
    }

    @Test
    void aNewFieldWithDefaultIsAccepted() {
        final Schema v1 = SchemaBuilder.record("R").fields().requiredInt("id").endRecord();
        final Schema v2 = SchemaBuilder.record("R").fields().requiredInt("id")
                .name("added").type().stringType().stringDefault("x").endRecord();
        assertNull(SchemaHistory.backwardIncompatibilities(v2, v1));
    }

    @Test
    void releasedVersionsAreReadInOrder() {
        final List<Schema> history = SchemaHistory.released("UnifiedCustomer");
        assertEquals("UnifiedCustomer", history.get(0).getName());
        assertTrue(SchemaHistory.released("NoSuchSchema").isEmpty());
    }

    @TestFactory
    Stream<DynamicTest> everyRecordAndFieldIsDocumented() {
        return KnownSchemas.ALL.stream().map(schema -> DynamicTest.dynamicTest(schema.getName(), () -> {
            final List<String> undocumented = new ArrayList<>();
            collectUndocumented(schema, undocumented, new ArrayList<>());
            assertTrue(undocumented.isEmpty(), "undocumented: " + undocumented);
        }));
    }

    private static void collectUndocumented(final Schema schema, final List<String> out, final List<String> seen) {
        switch (schema.getType()) {
            case RECORD -> {
                if (seen.contains(schema.getFullName())) {
                    return;
                }
                seen.add(schema.getFullName());
                if (isBlank(schema.getDoc())) {
                    out.add(schema.getFullName());
                }
                for (final Schema.Field field : schema.getFields()) {
                    if (isBlank(field.doc())) {
                        out.add(schema.getName() + "." + field.name());
                    }
                    collectUndocumented(field.schema(), out, seen);
                }
            }
            case ENUM -> {
                if (isBlank(schema.getDoc())) {
                    out.add(schema.getFullName());
                }
            }
            case UNION -> schema.getTypes().forEach(t -> collectUndocumented(t, out, seen));
            case ARRAY -> collectUndocumented(schema.getElementType(), out, seen);
            case MAP -> collectUndocumented(schema.getValueType(), out, seen);
            default -> { }
        }
    }

    private static boolean isBlank(final String s) {
        return s == null || s.isBlank();
    }
}
