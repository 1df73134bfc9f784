package io.rtdw.serde;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Every released version of every topic schema, kept in this module under
 * {@code io/rtdw/schemas/released/<Name>/v<N>.avsc}, and the rule that guards their evolution: a new version must
 * read everything written with any earlier one (BACKWARD_TRANSITIVE, the rule the Apicurio Registry enforces in
 * production, see {@code schemas/README.md}; {@code SchemaHistoryTest} checks it at build time).
 *
 * <p>To release a change: add the next {@code v<N>.avsc} with the new schema ({@code Schema.toString(true)}).
 */
public final class SchemaHistory {

    private static final String ROOT = "/io/rtdw/schemas/released/";

    private SchemaHistory() {
    }

    /** Released versions of the named schema, oldest first; empty when none was ever released. */
    public static List<Schema> released(final String name) {
        final List<Schema> versions = new ArrayList<>();
        for (int v = 1; ; v++) {
            try (InputStream in = SchemaHistory.class.getResourceAsStream(ROOT + name + "/v" + v + ".avsc")) {
                if (in == null) {
                    return versions;
                }
                versions.add(new Schema.Parser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * Null when {@code newer} can read data written with {@code older}; otherwise a description of every
     * incompatibility.
     */
    public static String backwardIncompatibilities(final Schema newer, final Schema older) {
        final SchemaCompatibility.SchemaPairCompatibility result =
                SchemaCompatibility.checkReaderWriterCompatibility(newer, older);
        if (result.getType() == SchemaCompatibilityType.COMPATIBLE) {
            return null;
        }
        return result.getResult().getIncompatibilities().toString();
    }
}
