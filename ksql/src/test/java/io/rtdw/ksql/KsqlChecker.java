package io.rtdw.ksql;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import org.apache.avro.LogicalType;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import io.rtdw.ksql.KsqlTypes.Type;
import io.rtdw.ksql.KsqlTypes.TypeError;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks the ksqlDB statements against the topic catalog and the Avro schemas, since no ksqlDB can run here.
 *
 * <p>What it checks: numbered files; every statement idempotent ({@code CREATE ... IF NOT EXISTS} or {@code SET});
 * every stream and table defined once and before use; source streams read catalog topics and declare exactly the
 * columns and types of the topic's Avro value schema; every {@code after->x} names a field of that schema; derived
 * topics are ksqlDB's own ({@code rtdw.ksql.*}), RF 3, co-partitioned with the catalog; the final table's columns
 * are the fields of {@code UnifiedCustomer} in order, and its array elements those of {@code UnifiedFlight} and
 * {@code UnifiedVehicle}. What it cannot check: that ksqlDB accepts the syntax, and the types it infers for derived
 * columns.
 */
final class KsqlChecker {

    /** Prefix of every topic ksqlDB writes; none may collide with a catalog topic. */
    static final String OWN_TOPIC_PREFIX = "rtdw.ksql.";
    /** The final table, the ksqlDB counterpart of the streams app's output. */
    static final String FINAL_TABLE = "unified_customer";

    private static final Pattern FILE = Pattern.compile("(\\d{3})_[a-z0-9_]+\\.sql");
    private static final Pattern SET = Pattern.compile("SET '[a-z.]+' = '[^']*'");
    private static final Pattern CREATE = Pattern.compile("CREATE (STREAM|TABLE) IF NOT EXISTS (\\w+) (.*)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern REFERENCE = Pattern.compile("\\b(?:FROM|JOIN) (\\w+)", Pattern.CASE_INSENSITIVE);
    private static final Pattern PROPERTY = Pattern.compile("(\\w+) = ('[^']*'|\\d+)");
    private static final Pattern FIELD_REF = Pattern.compile("`(after|before|source)`->`(\\w+)`");
    private static final Pattern STRUCT_FIELD = Pattern.compile("`(\\w+)` :=");
    private static final Pattern AGGREGATE = Pattern.compile("\\b([A-Z_]+)\\(");
    /** Aggregates that can retract a value, the only ones ksqlDB allows when aggregating a table. */
    private static final Set<String> TABLE_AGGREGATES = Set.of("COUNT", "SUM", "AVG", "COLLECT_LIST");
    private static final Set<String> STREAM_ONLY_AGGREGATES = Set.of("MAX", "MIN", "LATEST_BY_OFFSET",
            "EARLIEST_BY_OFFSET", "TOPK", "TOPKDISTINCT", "COLLECT_SET", "HISTOGRAM", "STDDEV_SAMPLE");

    private final TopicCatalog catalog;

    KsqlChecker(final TopicCatalog catalog) {
        this.catalog = catalog;
    }

    /** Problems with the file names: not numbered, or two files with one number. */
    static List<String> checkFileNames(final List<String> names) {
        final List<String> problems = new ArrayList<>();
        final Set<String> numbers = new TreeSet<>();
        for (final String name : names) {
            final Matcher m = FILE.matcher(name);
            if (!m.matches()) {
                problems.add(name + ": name must be NNN_lower_case.sql");
            } else if (!numbers.add(m.group(1))) {
                problems.add(name + ": number " + m.group(1) + " used twice");
            }
        }
        return problems;
    }

    /** Every problem of the statements, in order; empty when they are consistent. */
    List<String> check(final List<Statement> statements) {
        final List<String> problems = new ArrayList<>();
        final Map<String, Topic<?, ?>> catalogTopics = new HashMap<>();
        catalog.all().forEach(t -> catalogTopics.put(t.name(), t));
        final Map<String, Schema> sourceSchemas = new HashMap<>();
        final Map<String, String> defined = new LinkedHashMap<>();
        final Map<String, Map<String, Type>> types = new HashMap<>();
        final Map<String, Map<String, Type>> writtenBy = new HashMap<>();

        for (final Statement st : statements) {
            if (SET.matcher(st.text()).matches()) {
                continue;
            }
            final Matcher create = CREATE.matcher(st.text());
            if (!create.matches()) {
                problems.add(st + ": only SET and CREATE STREAM|TABLE IF NOT EXISTS are allowed (statements must be idempotent)");
                continue;
            }
            final String name = create.group(2).toLowerCase(Locale.ROOT);
            final String rest = create.group(3);
            final boolean derived = st.text().toUpperCase(Locale.ROOT).contains(" AS SELECT ");

            final Matcher refs = REFERENCE.matcher(derived ? rest.substring(rest.toUpperCase(Locale.ROOT).indexOf(" AS SELECT ")) : "");
            while (refs.find()) {
                final String ref = refs.group(1).toLowerCase(Locale.ROOT);
                if (!defined.containsKey(ref)) {
                    problems.add(st + ": uses " + ref + " before it is defined");
                }
            }
            if (derived && rest.toUpperCase(Locale.ROOT).contains(" GROUP BY ")) {
                checkTableAggregates(st, rest, defined, problems);
            }
            if (defined.put(name, create.group(1).toUpperCase(Locale.ROOT)) != null) {
                problems.add(st + ": " + name + " defined twice");
            }

            final Map<String, String> with = properties(rest);
            final String topic = unquote(with.get("KAFKA_TOPIC"));
            if (topic == null) {
                problems.add(st + ": no KAFKA_TOPIC");
                continue;
            }
            if (!"'AVRO'".equals(with.get("VALUE_FORMAT"))) {
                problems.add(st + ": VALUE_FORMAT must be 'AVRO' (the registry's format)");
            }

            if (catalogTopics.containsKey(topic)) {
                if (derived) {
                    problems.add(st + ": writes to the catalog topic " + topic + "; ksqlDB writes only " + OWN_TOPIC_PREFIX + "*");
                    continue;
                }
                final Schema value = SpecificData.get().getSchema(catalogTopics.get(topic).valueType());
                sourceSchemas.put(name, value);
                if (!"'NONE'".equals(with.get("KEY_FORMAT"))) {
                    problems.add(st + ": KEY_FORMAT must be 'NONE': catalog keys are Avro without registry framing");
                }
                checkColumns(st, rest, value, problems);
            } else if (!topic.startsWith(OWN_TOPIC_PREFIX)) {
                problems.add(st + ": topic " + topic + " is neither a catalog topic nor ksqlDB's own (" + OWN_TOPIC_PREFIX + "*)");
            } else if (derived) {
                if (!String.valueOf(catalog.replicationFactor()).equals(with.get("REPLICAS"))) {
                    problems.add(st + ": REPLICAS must be " + catalog.replicationFactor());
                }
                if (!String.valueOf(catalog.partitions()).equals(with.get("PARTITIONS"))) {
                    problems.add(st + ": PARTITIONS must be " + catalog.partitions() + " (co-partitioned with the catalog topics)");
                }
            }

            if (derived) {
                checkFieldReferences(st, rest, sourceSchemas, problems);
                checkStructs(st, problems);
                final Map<String, Type> columns = inferColumns(st, rest, types, problems);
                types.put(name, columns);
                writtenBy.put(topic, columns);
                if (name.equals(FINAL_TABLE)) {
                    expectColumns(st, selectAliases(rest), UnifiedCustomer.getClassSchema(), problems);
                    expectTypes(st, columns, UnifiedCustomer.getClassSchema(), problems);
                    checkTombstoneOnDelete(st, rest, problems);
                }
            } else if (rest.startsWith("(")) {
                final Map<String, Type> declared = declaredColumns(st, rest, problems);
                types.put(name, declared);
                if (writtenBy.containsKey(topic) && !writtenBy.get(topic).equals(declared)) {
                    problems.add(st + ": declares " + declared + " but " + topic + " is written with "
                            + writtenBy.get(topic));
                }
            } else {
                problems.add(st + ": declare every column (the checker types the statements from them)");
            }
        }
        if (!defined.containsKey(FINAL_TABLE)) {
            problems.add("no statement creates the final table " + FINAL_TABLE);
        }
        return problems;
    }

    /** Aggregating a table needs undoable aggregates: a changed or deleted row is retracted from its old group. */
    private static void checkTableAggregates(final Statement st, final String rest, final Map<String, String> defined,
                                             final List<String> problems) {
        final Matcher from = REFERENCE.matcher(rest);
        if (!from.find() || !"TABLE".equals(defined.get(from.group(1).toLowerCase(Locale.ROOT)))) {
            return;
        }
        final Matcher agg = AGGREGATE.matcher(rest.toUpperCase(Locale.ROOT));
        while (agg.find()) {
            if (STREAM_ONLY_AGGREGATES.contains(agg.group(1))) {
                problems.add(st + ": " + agg.group(1) + " cannot aggregate a table (only " + TABLE_AGGREGATES + " can retract)");
            }
        }
    }

    private static void checkColumns(final Statement st, final String rest, final Schema value, final List<String> problems) {
        if (!rest.startsWith("(")) {
            problems.add(st + ": a source stream must declare its columns");
            return;
        }
        final String columns = rest.substring(1, closing(rest, 0));
        final Map<String, String> declared = new LinkedHashMap<>();
        for (final String column : splitTopLevel(columns)) {
            final String c = column.strip();
            final int space = c.indexOf(' ');
            declared.put(c.substring(0, space).replace("`", ""), normalize(c.substring(space + 1)));
        }
        final Map<String, String> expected = new LinkedHashMap<>();
        for (final Schema.Field field : value.getFields()) {
            expected.put(field.name(), normalize(ksqlType(field.schema())));
        }
        if (!expected.keySet().equals(declared.keySet())) {
            problems.add(st + ": columns " + declared.keySet() + " but " + value.getName() + " has " + expected.keySet());
        }
        expected.forEach((column, type) -> {
            if (declared.containsKey(column) && !type.equals(declared.get(column))) {
                problems.add(st + ": column " + column + " declared " + declared.get(column) + " but " + value.getName()
                        + " says " + type);
            }
        });
    }

    private static void checkFieldReferences(final Statement st, final String rest, final Map<String, Schema> sources,
                                             final List<String> problems) {
        final Matcher from = REFERENCE.matcher(rest);
        Schema source = null;
        while (from.find()) {
            source = sources.getOrDefault(from.group(1).toLowerCase(Locale.ROOT), source);
        }
        final Matcher ref = FIELD_REF.matcher(rest);
        while (ref.find()) {
            if (source == null) {
                problems.add(st + ": " + ref.group() + " but the statement reads no source stream");
                continue;
            }
            final Schema record = unwrap(source.getField(ref.group(1)).schema());
            if (record.getField(ref.group(2)) == null) {
                problems.add(st + ": " + ref.group() + " is not a field of " + record.getName());
            }
        }
    }

    private static void checkStructs(final Statement st, final List<String> problems) {
        int at = st.text().indexOf("STRUCT(");
        while (at >= 0) {
            final String body = st.text().substring(at + 7, closing(st.text(), at + 6));
            final List<String> names = new ArrayList<>();
            final Matcher m = STRUCT_FIELD.matcher(body);
            while (m.find()) {
                names.add(m.group(1));
            }
            final Schema element = names.contains("flight_id") ? UnifiedFlight.getClassSchema()
                    : names.contains("vehicle_id") ? UnifiedVehicle.getClassSchema() : null;
            if (element == null) {
                problems.add(st + ": STRUCT" + names + " is neither a UnifiedFlight nor a UnifiedVehicle");
            } else {
                expectColumns(st, names, element, problems);
            }
            at = st.text().indexOf("STRUCT(", at + 1);
        }
    }

    private static void expectColumns(final Statement st, final List<String> actual, final Schema schema,
                                      final List<String> problems) {
        final List<String> expected = schema.getFields().stream().map(Schema.Field::name).toList();
        if (!expected.equals(actual)) {
            problems.add(st + ": columns " + actual + " must be the fields of " + schema.getName() + " in order: " + expected);
        }
    }

    /** The declared columns of a stream or table, key columns included, as ksqlDB types. */
    private static Map<String, Type> declaredColumns(final Statement st, final String rest, final List<String> problems) {
        final Map<String, Type> declared = new LinkedHashMap<>();
        for (final String column : splitTopLevel(rest.substring(1, closing(rest, 0)))) {
            final String c = column.strip().replaceAll("(?i) (PRIMARY )?KEY$", "");
            final int space = c.indexOf(' ');
            try {
                declared.put(c.substring(0, space).replace("`", ""), KsqlTypes.parseType(c.substring(space + 1)));
            } catch (final TypeError e) {
                problems.add(st + ": column " + c + ": " + e.getMessage());
            }
        }
        return declared;
    }

    private static final Pattern SOURCE = Pattern.compile("\\b(?:FROM|JOIN) (\\w+)(?: (?!LEFT\\b|INNER\\b|FULL\\b|RIGHT\\b|JOIN\\b|ON\\b|WHERE\\b|GROUP\\b|HAVING\\b|EMIT\\b|WINDOW\\b|PARTITION\\b)(\\w+))?",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern SELECT_ITEM = Pattern.compile("(?s)(.*) AS `?(\\w+)`?");

    /**
     * The output columns of a derived statement with their types ({@link KsqlTypes}), computed from the types of
     * the streams and tables it reads; every expression ksqlDB would reject for its types is a problem.
     */
    private static Map<String, Type> inferColumns(final Statement st, final String rest,
                                                  final Map<String, Map<String, Type>> types,
                                                  final List<String> problems) {
        final String upper = rest.toUpperCase(Locale.ROOT);
        final int select = upper.indexOf(" AS SELECT ") + " AS SELECT ".length();
        final int from = topLevel(rest, " FROM ", select);
        final Map<String, Map<String, Type>> sources = new LinkedHashMap<>();
        final Matcher m = SOURCE.matcher(rest.substring(from));
        while (m.find()) {
            final String source = m.group(1).toLowerCase(Locale.ROOT);
            sources.put(m.group(2) == null ? source : m.group(2), types.getOrDefault(source, Map.of()));
        }
        final java.util.function.Function<String, Type> resolve = column -> {
            final int dot = column.indexOf('.');
            if (dot >= 0) {
                return sources.getOrDefault(column.substring(0, dot), Map.of()).get(column.substring(dot + 1));
            }
            final List<Type> found = sources.values().stream().map(s -> s.get(column)).filter(t -> t != null).toList();
            if (found.size() > 1) {
                throw new TypeError("ambiguous column " + column);
            }
            return found.isEmpty() ? null : found.get(0);
        };
        final Map<String, Type> columns = new LinkedHashMap<>();
        for (final String item : splitTopLevel(rest.substring(select, from))) {
            final Matcher alias = SELECT_ITEM.matcher(item.strip());
            final String expression = alias.matches() ? alias.group(1) : item.strip();
            final String name = alias.matches() ? alias.group(2) : KsqlTypes.unquote(item.strip());
            try {
                columns.put(name, KsqlTypes.typeOf(expression, resolve));
            } catch (final TypeError e) {
                problems.add(st + ": column " + name + ": " + e.getMessage());
            }
        }
        final int having = topLevel(rest, " HAVING ", from);
        if (having < rest.length()) {
            final String condition = rest.substring(having + " HAVING ".length(), topLevel(rest, " EMIT ", having));
            try {
                final Type t = KsqlTypes.typeOf(condition, name -> {
                    final Type source = resolve.apply(name);
                    return source != null ? source : columns.get(name);
                });
                if (!t.base().equals("BOOLEAN")) {
                    problems.add(st + ": HAVING is " + t + ", not BOOLEAN");
                }
            } catch (final TypeError e) {
                problems.add(st + ": HAVING: " + e.getMessage());
            }
        }
        return columns;
    }

    /** The final table's column types are those of the Avro fields ({@link #ksqlType}). */
    private static void expectTypes(final Statement st, final Map<String, Type> columns, final Schema schema,
                                    final List<String> problems) {
        for (final Schema.Field field : schema.getFields()) {
            final String expected = normalize(ksqlType(field.schema()));
            final Type actual = columns.get(field.name());
            if (actual != null && !expected.equals(actual.toString())) {
                problems.add(st + ": column " + field.name() + " is " + actual + " but " + schema.getName() + "."
                        + field.name() + " needs " + expected);
            }
        }
    }

    /**
     * A deleted customer must end in a tombstone (README.md, "The unified record"): the final table drops rows whose
     * latest {@code deleted} is true through HAVING, which ksqlDB writes as a tombstone.
     */
    private static void checkTombstoneOnDelete(final Statement st, final String rest, final List<String> problems) {
        final String compact = rest.replace("`", "").replaceAll("\\s+", " ").toUpperCase(Locale.ROOT);
        if (!compact.contains(" HAVING NOT LATEST_BY_OFFSET(DELETED, FALSE) EMIT CHANGES")) {
            problems.add(st + ": must end in HAVING NOT LATEST_BY_OFFSET(`deleted`, false): a deleted customer "
                    + "leaves the table as a tombstone");
        }
    }

    /** Index of the first {@code word} at parenthesis depth 0 from {@code start}, or the text's length. */
    private static int topLevel(final String text, final String word, final int start) {
        final String upper = text.toUpperCase(Locale.ROOT);
        int depth = 0;
        for (int i = start; i < text.length(); i++) {
            final char c = text.charAt(i);
            depth += c == '(' || c == '[' ? 1 : c == ')' || c == ']' ? -1 : 0;
            if (depth == 0 && upper.startsWith(word, i)) {
                return i;
            }
        }
        return text.length();
    }

    /** Output column names of a SELECT, in order. */
    static List<String> selectAliases(final String rest) {
        final String upper = rest.toUpperCase(Locale.ROOT);
        final int select = upper.indexOf(" AS SELECT ") + " AS SELECT ".length();
        int from = -1;
        int depth = 0;
        for (int i = select; i < rest.length(); i++) {
            final char c = rest.charAt(i);
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            if (depth == 0 && upper.startsWith(" FROM ", i)) {
                from = i;
                break;
            }
        }
        final List<String> aliases = new ArrayList<>();
        for (final String item : splitTopLevel(rest.substring(select, from))) {
            final Matcher m = Pattern.compile("`?(\\w+)`?$").matcher(item.strip());
            aliases.add(m.find() ? m.group(1) : item.strip());
        }
        return aliases;
    }

    /** The ksqlDB type of an Avro schema, as the source streams must declare it. */
    static String ksqlType(final Schema schema) {
        final Schema s = unwrap(schema);
        final LogicalType logical = s.getLogicalType();
        return switch (s.getType()) {
            case INT -> logical != null && logical.getName().equals("date") ? "DATE" : "INT";
            // ksqlDB has no local-timestamp type: those stay BIGINT (micro- or milliseconds, as in the schema's doc).
            case LONG -> logical != null && logical.getName().equals("timestamp-millis") ? "TIMESTAMP" : "BIGINT";
            case STRING, ENUM -> "STRING";
            case BOOLEAN -> "BOOLEAN";
            case DOUBLE, FLOAT -> "DOUBLE";
            case BYTES -> "BYTES";
            case ARRAY -> "ARRAY<" + ksqlType(s.getElementType()) + ">";
            case RECORD -> {
                final List<String> fields = new ArrayList<>();
                s.getFields().forEach(f -> fields.add(f.name() + " " + ksqlType(f.schema())));
                yield "STRUCT<" + String.join(", ", fields) + ">";
            }
            default -> throw new IllegalArgumentException("no ksqlDB type for " + s);
        };
    }

    private static Schema unwrap(final Schema schema) {
        if (schema.getType() == Schema.Type.UNION) {
            final List<Schema> types = schema.getTypes().stream().filter(t -> t.getType() != Schema.Type.NULL).toList();
            if (types.size() != 1) {
                throw new IllegalArgumentException("only [null, X] unions map to ksqlDB: " + schema);
            }
            return types.get(0);
        }
        return schema;
    }

    static String normalize(final String type) {
        return type.replace("`", "").replaceAll("\\s+", " ").replaceAll("\\s*([<>,])\\s*", "$1").strip();
    }

    private static Map<String, String> properties(final String rest) {
        final int with = rest.toUpperCase(Locale.ROOT).indexOf("WITH (");
        final Map<String, String> props = new HashMap<>();
        if (with < 0) {
            return props;
        }
        final Matcher m = PROPERTY.matcher(rest.substring(with, closing(rest, with + 5)));
        while (m.find()) {
            props.put(m.group(1).toUpperCase(Locale.ROOT), m.group(2));
        }
        return props;
    }

    private static String unquote(final String value) {
        return value == null ? null : value.replaceAll("^'|'$", "");
    }

    /** Index of the parenthesis closing the one at {@code open}. */
    private static int closing(final String text, final int open) {
        int depth = 0;
        for (int i = open; i < text.length(); i++) {
            depth += text.charAt(i) == '(' ? 1 : text.charAt(i) == ')' ? -1 : 0;
            if (depth == 0) {
                return i;
            }
        }
        throw new IllegalArgumentException("unbalanced parentheses: " + text);
    }

    private static List<String> splitTopLevel(final String text) {
        final List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            if (c == '(' || c == '<' || c == '[') {
                depth++;
            } else if (c == ')' || c == ']' || (c == '>' && i > 0 && text.charAt(i - 1) != '=' && text.charAt(i - 1) != '-')) {
                depth--;
            } else if (c == ',' && depth == 0) {
                parts.add(text.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(text.substring(start));
        return parts;
    }
}
