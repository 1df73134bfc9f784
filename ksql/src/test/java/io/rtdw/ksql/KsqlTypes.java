package io.rtdw.ksql;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The types of ksqlDB expressions, for the subset of ksqlDB SQL the statements use: enough to know the type of every
 * column a derived table writes, so the checker can compare the final table with the Avro {@code UnifiedCustomer}.
 *
 * <p>The function signatures are those of the ksqlDB 0.29.0 sources (ksqldb-engine {@code function/udf} and
 * {@code function/udaf}), restricted to what matters here: {@code ARRAY_SORT}, {@code ARRAY_MAX} and {@code GREATEST}
 * need comparable (non-struct) values, {@code COALESCE} and {@code CASE} need one type in every branch, {@code FILTER}
 * needs a boolean lambda, {@code FROM_UNIXTIME} takes epoch milliseconds. An unknown function, a missing struct
 * field, an unknown column or a mismatch is a {@link TypeError}. Not a ksqlDB parser: what it cannot type it reports.
 */
final class KsqlTypes {

    /** A ksqlDB type. {@code base} is INT, BIGINT, DOUBLE, BOOLEAN, STRING, DATE, TIMESTAMP, ARRAY, MAP, STRUCT or NULL. */
    record Type(String base, List<Type> params, Map<String, Type> fields) {

        static final Type NULL = primitive("NULL");

        static Type primitive(final String base) {
            return new Type(base, List.of(), Map.of());
        }

        static Type array(final Type element) {
            return new Type("ARRAY", List.of(element), Map.of());
        }

        static Type map(final Type value) {
            return new Type("MAP", List.of(primitive("STRING"), value), Map.of());
        }

        static Type struct(final Map<String, Type> fields) {
            return new Type("STRUCT", List.of(), fields);
        }

        boolean isNull() {
            return base.equals("NULL");
        }

        Type element() {
            if (!base.equals("ARRAY")) {
                throw new TypeError("not an array: " + this);
            }
            return params.get(0);
        }

        boolean comparable() {
            return !Set.of("ARRAY", "MAP", "STRUCT", "NULL").contains(base);
        }

        /** The same notation as {@link KsqlChecker#normalize}: {@code ARRAY<STRUCT<a INT,b STRING>>}. */
        @Override
        public String toString() {
            return switch (base) {
                case "ARRAY" -> "ARRAY<" + params.get(0) + ">";
                case "MAP" -> "MAP<" + params.get(0) + "," + params.get(1) + ">";
                case "STRUCT" -> {
                    final List<String> f = new ArrayList<>();
                    fields.forEach((n, t) -> f.add(n + " " + t));
                    yield "STRUCT<" + String.join(",", f) + ">";
                }
                default -> base;
            };
        }
    }

    /** An expression the typer rejects, with the reason. */
    static final class TypeError extends RuntimeException {
        TypeError(final String message) {
            super(message);
        }
    }

    private static final Set<String> NUMERIC = Set.of("INT", "BIGINT", "DOUBLE");

    /** Parses a declared type such as {@code ARRAY<STRUCT<`a` INT, `b` STRING>>}. */
    static Type parseType(final String text) {
        final Parser p = new Parser(text, name -> {
            throw new TypeError("no columns in a type");
        });
        final Type t = p.type();
        p.expectEnd();
        return t;
    }

    /**
     * The type of {@code expression}; {@code columns} resolves a column reference ({@code name} or
     * {@code alias.name}, backticks removed) to its type, or returns null when there is no such column.
     */
    static Type typeOf(final String expression, final Function<String, Type> columns) {
        final Parser p = new Parser(expression, columns);
        final Type t = p.expression();
        p.expectEnd();
        return t;
    }

    private static final class Parser {
        private final List<String> tokens;
        private final Function<String, Type> columns;
        private final Map<String, Type> lambdaVars = new LinkedHashMap<>();
        private int at;

        Parser(final String text, final Function<String, Type> columns) {
            this.tokens = tokenize(text);
            this.columns = columns;
        }

        void expectEnd() {
            if (at != tokens.size()) {
                throw new TypeError("unexpected '" + tokens.get(at) + "'");
            }
        }

        private String peek() {
            return at < tokens.size() ? tokens.get(at) : "";
        }

        private String peek(final int ahead) {
            return at + ahead < tokens.size() ? tokens.get(at + ahead) : "";
        }

        private boolean accept(final String token) {
            if (peek().equalsIgnoreCase(token)) {
                at++;
                return true;
            }
            return false;
        }

        private void expect(final String token) {
            if (!accept(token)) {
                throw new TypeError("expected '" + token + "' at '" + peek() + "'");
            }
        }

        private String next() {
            if (at >= tokens.size()) {
                throw new TypeError("unexpected end");
            }
            return tokens.get(at++);
        }

        Type type() {
            final String name = next().toUpperCase(Locale.ROOT);
            switch (name) {
                case "ARRAY" -> {
                    expect("<");
                    final Type element = type();
                    expect(">");
                    return Type.array(element);
                }
                case "MAP" -> {
                    expect("<");
                    type();
                    expect(",");
                    final Type value = type();
                    expect(">");
                    return Type.map(value);
                }
                case "STRUCT" -> {
                    expect("<");
                    final Map<String, Type> fields = new LinkedHashMap<>();
                    do {
                        fields.put(unquote(next()), type());
                    } while (accept(","));
                    expect(">");
                    return Type.struct(fields);
                }
                case "INT", "INTEGER" -> {
                    return Type.primitive("INT");
                }
                case "VARCHAR", "STRING" -> {
                    return Type.primitive("STRING");
                }
                case "BIGINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP", "BYTES" -> {
                    return Type.primitive(name);
                }
                default -> throw new TypeError("unknown type " + name);
            }
        }

        Type expression() {
            Type left = and();
            while (accept("OR")) {
                bool(left, "OR");
                left = bool(and(), "OR");
            }
            return left;
        }

        private Type and() {
            Type left = not();
            while (accept("AND")) {
                bool(left, "AND");
                left = bool(not(), "AND");
            }
            return left;
        }

        private Type not() {
            if (accept("NOT")) {
                return bool(not(), "NOT");
            }
            return comparison();
        }

        private Type comparison() {
            final Type left = additive();
            if (accept("IS")) {
                accept("NOT");
                expect("NULL");
                return Type.primitive("BOOLEAN");
            }
            if (Set.of("=", "<>", "!=", "<", ">", "<=", ">=").contains(peek())) {
                final String op = next();
                final Type right = additive();
                if (!left.isNull() && !right.isNull() && !left.equals(right)
                        && !(NUMERIC.contains(left.base()) && NUMERIC.contains(right.base()))) {
                    throw new TypeError("cannot compare " + left + " " + op + " " + right);
                }
                return Type.primitive("BOOLEAN");
            }
            return left;
        }

        private Type additive() {
            Type left = multiplicative();
            while (peek().equals("+") || peek().equals("-")) {
                next();
                left = numeric(left, multiplicative());
            }
            return left;
        }

        private Type multiplicative() {
            Type left = postfix();
            while (peek().equals("*") || peek().equals("/") || peek().equals("%")) {
                next();
                left = numeric(left, postfix());
            }
            return left;
        }

        private Type postfix() {
            Type t = primary();
            while (true) {
                if (accept("->")) {
                    final String field = unquote(next());
                    if (!t.base().equals("STRUCT") || !t.fields().containsKey(field)) {
                        throw new TypeError("no field " + field + " in " + t);
                    }
                    t = t.fields().get(field);
                } else if (accept("[")) {
                    final Type index = expression();
                    expect("]");
                    if (t.base().equals("ARRAY")) {
                        if (!index.base().equals("INT")) {
                            throw new TypeError("array index must be INT, not " + index);
                        }
                        t = t.element();
                    } else if (t.base().equals("MAP")) {
                        if (!index.base().equals("STRING")) {
                            throw new TypeError("map key must be STRING, not " + index);
                        }
                        t = t.params().get(1);
                    } else {
                        throw new TypeError("cannot subscript " + t);
                    }
                } else {
                    return t;
                }
            }
        }

        private Type primary() {
            final String token = next();
            final String upper = token.toUpperCase(Locale.ROOT);
            if (token.equals("(")) {
                final Type t = expression();
                expect(")");
                return t;
            }
            if (token.startsWith("'")) {
                return Type.primitive("STRING");
            }
            if (Character.isDigit(token.charAt(0))) {
                if (token.contains(".")) {
                    return Type.primitive("DOUBLE");
                }
                final long value = Long.parseLong(token);
                return Type.primitive(value == (int) value ? "INT" : "BIGINT");
            }
            switch (upper) {
                case "NULL" -> {
                    return Type.NULL;
                }
                case "TRUE", "FALSE" -> {
                    return Type.primitive("BOOLEAN");
                }
                case "CAST" -> {
                    expect("(");
                    expression();
                    expect("AS");
                    final Type t = type();
                    expect(")");
                    return t;
                }
                case "CASE" -> {
                    return caseExpression();
                }
                default -> {
                }
            }
            if (upper.equals("ARRAY") && accept("[")) {
                final List<Type> elements = new ArrayList<>();
                do {
                    elements.add(expression());
                } while (accept(","));
                expect("]");
                return Type.array(common(elements, "ARRAY[...]"));
            }
            if (upper.equals("STRUCT") && accept("(")) {
                final Map<String, Type> fields = new LinkedHashMap<>();
                do {
                    final String name = unquote(next());
                    expect(":=");
                    fields.put(name, expression());
                } while (accept(","));
                expect(")");
                return Type.struct(fields);
            }
            if (peek().equals("(") && !token.startsWith("`")) {
                next();
                return function(upper);
            }
            return column(token);
        }

        private Type column(final String token) {
            final String name = unquote(token);
            if (lambdaVars.containsKey(name)) {
                return lambdaVars.get(name);
            }
            String qualified = name;
            if (accept(".")) {
                qualified = name + "." + unquote(next());
            }
            final Type t = columns.apply(qualified);
            if (t == null) {
                throw new TypeError("unknown column " + qualified);
            }
            return t;
        }

        private Type caseExpression() {
            final List<Type> results = new ArrayList<>();
            while (accept("WHEN")) {
                bool(expression(), "WHEN");
                expect("THEN");
                results.add(expression());
            }
            if (accept("ELSE")) {
                results.add(expression());
            }
            expect("END");
            return common(results, "CASE");
        }

        private Type function(final String name) {
            if (name.equals("COUNT") && accept("*")) {
                expect(")");
                return Type.primitive("BIGINT");
            }
            final List<Object> args = new ArrayList<>(); // Type, or the lambda's parameter names and body position
            if (!accept(")")) {
                do {
                    args.add(lambdaAhead() ? skipLambda() : expression());
                } while (accept(","));
                expect(")");
            }
            return switch (name) {
                case "COUNT" -> Type.primitive("BIGINT");
                case "LATEST_BY_OFFSET" -> type(args, 0);
                case "COLLECT_LIST" -> Type.array(type(args, 0));
                case "COALESCE", "GREATEST", "LEAST" -> {
                    final List<Type> all = new ArrayList<>();
                    for (int i = 0; i < args.size(); i++) {
                        all.add(type(args, i));
                    }
                    final Type t = common(all, name);
                    if (!name.equals("COALESCE") && !t.comparable()) {
                        throw new TypeError(name + " of " + t);
                    }
                    yield t;
                }
                case "ARRAY_MAX", "ARRAY_MIN" -> comparableElement(type(args, 0), name);
                case "ARRAY_SORT" -> {
                    comparableElement(type(args, 0), name);
                    yield type(args, 0);
                }
                case "SLICE" -> type(args, 0);
                case "ARRAY_LENGTH" -> {
                    type(args, 0).element();
                    yield Type.primitive("INT");
                }
                case "TRANSFORM" -> Type.array(lambda(args, 1, type(args, 0).element()));
                case "FILTER" -> {
                    bool(lambda(args, 1, type(args, 0).element()), "FILTER");
                    yield type(args, 0);
                }
                case "AS_MAP" -> {
                    if (!type(args, 0).element().base().equals("STRING")) {
                        throw new TypeError("AS_MAP keys must be STRING");
                    }
                    yield Type.map(type(args, 1).element());
                }
                case "CONCAT", "LPAD", "SUBSTRING" -> Type.primitive("STRING");
                case "FROM_UNIXTIME" -> {
                    expectArg(args, 0, "BIGINT", name);
                    yield Type.primitive("TIMESTAMP");
                }
                case "UNIX_TIMESTAMP" -> {
                    expectArg(args, 0, "TIMESTAMP", name);
                    yield Type.primitive("BIGINT");
                }
                default -> throw new TypeError("function " + name + " is not known to the checker");
            };
        }

        private boolean lambdaAhead() {
            if (peek(1).equals("=>")) {
                return true;
            }
            if (!peek().equals("(")) {
                return false;
            }
            int i = 1;
            while (!peek(i).isEmpty() && !peek(i).equals(")")) {
                i++;
            }
            return peek(i + 1).equals("=>");
        }

        /** Records a lambda's parameters and skips its body; the body is typed once its parameter types are known. */
        private int[] skipLambda() {
            final int start = at;
            int depth = 0;
            while (at < tokens.size()) {
                final String t = peek();
                if ((t.equals(",") || t.equals(")")) && depth == 0) {
                    break;
                }
                depth += t.equals("(") || t.equals("[") ? 1 : t.equals(")") || t.equals("]") ? -1 : 0;
                at++;
            }
            return new int[] {start, at};
        }

        private Type lambda(final List<Object> args, final int index, final Type parameter) {
            if (index >= args.size() || !(args.get(index) instanceof int[] span)) {
                throw new TypeError("argument " + (index + 1) + " must be a lambda");
            }
            final int resume = at;
            at = span[0];
            final List<String> names = new ArrayList<>();
            if (accept("(")) {
                do {
                    names.add(unquote(next()));
                } while (accept(","));
                expect(")");
            } else {
                names.add(unquote(next()));
            }
            expect("=>");
            if (names.size() != 1) {
                throw new TypeError("array lambdas take one parameter: " + names);
            }
            if (lambdaVars.containsKey(names.get(0))) {
                throw new TypeError("lambda parameter " + names.get(0) + " reused in a nested lambda");
            }
            lambdaVars.put(names.get(0), parameter);
            final Type body = expression();
            lambdaVars.remove(names.get(0));
            if (at != span[1]) {
                throw new TypeError("unexpected '" + peek() + "' in a lambda");
            }
            at = resume;
            return body;
        }

        private static Type type(final List<Object> args, final int index) {
            if (index >= args.size() || !(args.get(index) instanceof Type t)) {
                throw new TypeError("argument " + (index + 1) + " missing or a lambda");
            }
            return t;
        }

        private static void expectArg(final List<Object> args, final int index, final String base, final String fn) {
            final Type t = type(args, index);
            if (!t.base().equals(base) && !t.isNull()) {
                throw new TypeError(fn + " takes " + base + ", not " + t);
            }
        }

        private static Type comparableElement(final Type array, final String fn) {
            final Type element = array.element();
            if (!element.comparable()) {
                throw new TypeError(fn + " sorts only primitive values, not " + element);
            }
            return element;
        }

        private static Type bool(final Type t, final String where) {
            if (!t.base().equals("BOOLEAN") && !t.isNull()) {
                throw new TypeError(where + " needs BOOLEAN, not " + t);
            }
            return t;
        }

        private static Type numeric(final Type a, final Type b) {
            if (!NUMERIC.contains(a.base()) || !NUMERIC.contains(b.base())) {
                throw new TypeError("arithmetic on " + a + " and " + b);
            }
            final List<String> order = List.of("INT", "BIGINT", "DOUBLE");
            return order.indexOf(a.base()) >= order.indexOf(b.base()) ? a : b;
        }

        /** The one type of several branches or arguments (NULL fits any); a mismatch is an error. */
        private static Type common(final List<Type> types, final String where) {
            Type found = Type.NULL;
            for (final Type t : types) {
                if (t.isNull()) {
                    continue;
                }
                if (!found.isNull() && !found.equals(t)) {
                    throw new TypeError(where + " mixes " + found + " and " + t);
                }
                found = t;
            }
            return found;
        }
    }

    static String unquote(final String token) {
        return token.startsWith("`") ? token.substring(1, token.length() - 1) : token;
    }

    private static List<String> tokenize(final String text) {
        final List<String> tokens = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            final char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '`' || c == '\'') {
                final int end = text.indexOf(c, i + 1);
                if (end < 0) {
                    throw new TypeError("unterminated " + c);
                }
                tokens.add(text.substring(i, end + 1));
                i = end + 1;
            } else if (Character.isLetterOrDigit(c) || c == '_') {
                int end = i;
                while (end < text.length() && (Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '_'
                        || (Character.isDigit(c) && text.charAt(end) == '.'))) {
                    end++;
                }
                tokens.add(text.substring(i, end));
                i = end;
            } else {
                final String two = i + 1 < text.length() ? text.substring(i, i + 2) : "";
                if (Set.of("->", "=>", ":=", "<>", "!=", "<=", ">=").contains(two)) {
                    tokens.add(two);
                    i += 2;
                } else {
                    tokens.add(String.valueOf(c));
                    i++;
                }
            }
        }
        return tokens;
    }

    private KsqlTypes() {
    }
}
