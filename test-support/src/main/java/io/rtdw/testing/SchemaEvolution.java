package io.rtdw.testing;

import org.apache.avro.Schema;

import java.util.ArrayList;
import java.util.List;

/** Schema changes a next release may make, for upgrade tests. */
public final class SchemaEvolution {

    private SchemaEvolution() {
    }

    /**
     * {@code record} with one more field, an optional string ({@code ["null","string"]}, default null) at
     * {@code position}: the change the state contract calls safe. Same full name, so it replaces the record.
     */
    public static Schema withOptionalField(final Schema record, final int position, final String name, final String doc) {
        final List<Schema.Field> fields = new ArrayList<>();
        record.getFields().forEach(f -> fields.add(new Schema.Field(f, f.schema())));
        fields.add(position, new Schema.Field(name, Schema.createUnion(Schema.create(Schema.Type.NULL),
                Schema.create(Schema.Type.STRING)), doc, Schema.Field.NULL_DEFAULT_VALUE));
        return Schema.createRecord(record.getName(), record.getDoc(), record.getNamespace(), false, fields);
    }
}
