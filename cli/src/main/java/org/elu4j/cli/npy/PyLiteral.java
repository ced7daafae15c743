package org.elu4j.cli.npy;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * A strict parser for the subset of Python literal syntax that {@code .npy} headers use: dicts,
 * tuples, lists, strings in single or double quotes, integers (with an optional sign and the
 * {@code L} suffix of Python 2), {@code True}, {@code False} and {@code None}. Anything else
 * (floats, comments, expressions, names) is an error. It never evaluates anything.
 */
final class PyLiteral {

    /** A parsed value. */
    sealed interface Value permits Str, Int, Bool, None, Tuple, PyList, Dict {}

    record Str(String value) implements Value {
        @Override
        public String toString() {
            return quote(value);
        }
    }

    record Int(BigInteger value) implements Value {
        @Override
        public String toString() {
            return value.toString();
        }
    }

    record Bool(boolean value) implements Value {
        @Override
        public String toString() {
            return value ? "True" : "False";
        }
    }

    record None() implements Value {
        @Override
        public String toString() {
            return "None";
        }
    }

    record Tuple(List<Value> items) implements Value {
        @Override
        public String toString() {
            if (items.size() == 1) {
                return "(" + items.getFirst() + ",)";
            }
            return "(" + String.join(", ", items.stream().map(Value::toString).toList()) + ")";
        }
    }

    record PyList(List<Value> items) implements Value {
        @Override
        public String toString() {
            return "[" + String.join(", ", items.stream().map(Value::toString).toList()) + "]";
        }
    }

    record Entry(Value key, Value value, int offset) {}

    /** A dict in source order, duplicates kept (the caller decides about them). */
    record Dict(List<Entry> entries) implements Value {
        @Override
        public String toString() {
            return "{" + String.join(", ", entries.stream().map(e -> e.key() + ": " + e.value()).toList()) + "}";
        }
    }

    /** A syntax error at a character offset of the text. */
    static final class SyntaxError extends Exception {
        private static final long serialVersionUID = 1L;
        final int offset;

        SyntaxError(String message, int offset) {
            super(message, null, false, false);
            this.offset = offset;
        }
    }

    private static final int MAX_DEPTH = 32;

    private final String s;
    private int pos;

    private PyLiteral(String s) {
        this.s = s;
    }

    /** Parses the whole of {@code text}: one literal with only whitespace around it. */
    static Value parse(String text) throws SyntaxError {
        PyLiteral p = new PyLiteral(text);
        p.skipWhitespace();
        if (p.pos == text.length()) {
            throw new SyntaxError("empty header", p.pos);
        }
        Value v = p.value(0);
        p.skipWhitespace();
        if (p.pos != text.length()) {
            throw new SyntaxError("unexpected " + p.describeHere() + " after the dictionary", p.pos);
        }
        return v;
    }

    private Value value(int depth) throws SyntaxError {
        if (depth > MAX_DEPTH) {
            throw new SyntaxError("nested more than " + MAX_DEPTH + " levels deep", pos);
        }
        skipWhitespace();
        if (pos >= s.length()) {
            throw new SyntaxError("unexpected end of header", pos);
        }
        char c = s.charAt(pos);
        return switch (c) {
            case '{' -> dict(depth);
            case '(' -> tupleOrParens(depth);
            case '[' -> list(depth);
            case '\'', '"' -> new Str(string());
            case '-', '+' -> integer();
            default -> {
                if (c >= '0' && c <= '9') {
                    yield integer();
                }
                if (Character.isLetter(c) || c == '_') {
                    yield name();
                }
                throw new SyntaxError("unexpected " + describeHere(), pos);
            }
        };
    }

    private Dict dict(int depth) throws SyntaxError {
        pos++; // '{'
        List<Entry> entries = new ArrayList<>();
        while (true) {
            skipWhitespace();
            if (peek() == '}') {
                pos++;
                return new Dict(entries);
            }
            int keyOffset = pos;
            Value key = value(depth + 1);
            skipWhitespace();
            expect(':', "':' after the key " + key);
            Value val = value(depth + 1);
            entries.add(new Entry(key, val, keyOffset));
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c != '}') {
                throw new SyntaxError("expected ',' or '}' but found " + describeHere(), pos);
            }
        }
    }

    private Value tupleOrParens(int depth) throws SyntaxError {
        pos++; // '('
        List<Value> items = new ArrayList<>();
        boolean sawComma = false;
        while (true) {
            skipWhitespace();
            if (peek() == ')') {
                pos++;
                if (items.size() == 1 && !sawComma) {
                    return items.getFirst(); // (x) is x in Python, not a tuple
                }
                return new Tuple(List.copyOf(items));
            }
            items.add(value(depth + 1));
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
                sawComma = true;
            } else if (c != ')') {
                throw new SyntaxError("expected ',' or ')' but found " + describeHere(), pos);
            }
        }
    }

    private PyList list(int depth) throws SyntaxError {
        pos++; // '['
        List<Value> items = new ArrayList<>();
        while (true) {
            skipWhitespace();
            if (peek() == ']') {
                pos++;
                return new PyList(List.copyOf(items));
            }
            items.add(value(depth + 1));
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c != ']') {
                throw new SyntaxError("expected ',' or ']' but found " + describeHere(), pos);
            }
        }
    }

    private String string() throws SyntaxError {
        int start = pos;
        char quote = s.charAt(pos++);
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= s.length()) {
                throw new SyntaxError("unterminated string", start);
            }
            char c = s.charAt(pos++);
            if (c == quote) {
                return sb.toString();
            }
            if (c == '\n' || c == '\r') {
                throw new SyntaxError("unterminated string", start);
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= s.length()) {
                throw new SyntaxError("unterminated string", start);
            }
            char e = s.charAt(pos++);
            switch (e) {
                case '\\', '\'', '"' -> sb.append(e);
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case '0' -> sb.append('\0');
                case 'x' -> {
                    if (pos + 2 > s.length() || hex(s.charAt(pos)) < 0 || hex(s.charAt(pos + 1)) < 0) {
                        throw new SyntaxError("bad \\x escape in string", pos - 2);
                    }
                    sb.append((char) (hex(s.charAt(pos)) * 16 + hex(s.charAt(pos + 1))));
                    pos += 2;
                }
                default -> throw new SyntaxError("unsupported escape '\\" + e + "' in string", pos - 2);
            }
        }
    }

    private static int hex(char c) {
        return c < 128 ? Character.digit(c, 16) : -1;
    }

    private Int integer() throws SyntaxError {
        int start = pos;
        boolean negative = false;
        char c = s.charAt(pos);
        if (c == '-' || c == '+') {
            negative = c == '-';
            pos++;
            skipWhitespace();
        }
        int digitsStart = pos;
        StringBuilder digits = new StringBuilder();
        boolean lastUnderscore = false;
        while (pos < s.length()) {
            char d = s.charAt(pos);
            if (d >= '0' && d <= '9') {
                digits.append(d);
                lastUnderscore = false;
            } else if (d == '_' && !digits.isEmpty() && !lastUnderscore) {
                lastUnderscore = true;
            } else {
                break;
            }
            pos++;
        }
        if (digits.isEmpty()) {
            throw new SyntaxError("expected a number but found " + describeHere(), pos);
        }
        if (lastUnderscore) {
            throw new SyntaxError("malformed number", digitsStart);
        }
        if (digits.length() > 1 && digits.charAt(0) == '0' && !digits.chars().allMatch(ch -> ch == '0')) {
            throw new SyntaxError("number with a leading zero", digitsStart);
        }
        if (pos < s.length() && (s.charAt(pos) == 'L' || s.charAt(pos) == 'l')) {
            pos++; // Python 2 long suffix, as in (3L, 4L)
        }
        if (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '.' || s.charAt(pos) == '_')) {
            throw new SyntaxError("malformed number", start);
        }
        if (digits.length() > 4000) {
            throw new SyntaxError("number too long", start);
        }
        BigInteger v = new BigInteger(digits.toString());
        return new Int(negative ? v.negate() : v);
    }

    private Value name() throws SyntaxError {
        int start = pos;
        while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) {
            pos++;
        }
        String name = s.substring(start, pos);
        return switch (name) {
            case "True" -> new Bool(true);
            case "False" -> new Bool(false);
            case "None" -> new None();
            default -> throw new SyntaxError("unexpected name '" + abbreviate(name, 20) + "'", start);
        };
    }

    private void expect(char c, String what) throws SyntaxError {
        if (peek() != c) {
            throw new SyntaxError("expected " + what + " but found " + describeHere(), pos);
        }
        pos++;
    }

    private char peek() {
        return pos < s.length() ? s.charAt(pos) : '\uFFFF';
    }

    private void skipWhitespace() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
                pos++;
            } else {
                break;
            }
        }
    }

    private String describeHere() {
        if (pos >= s.length()) {
            return "the end of the header";
        }
        return "'" + printable(s.charAt(pos)) + "'";
    }

    static String printable(char c) {
        int type = Character.getType(c);
        boolean invisible = c < 0x20 || (c >= 0x7f && c < 0xa0) || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE || type == Character.UNASSIGNED;
        if (!invisible) {
            return String.valueOf(c);
        }
        return switch (c) {
            case '\n' -> "\\n";
            case '\t' -> "\\t";
            case '\r' -> "\\r";
            default -> c < 0x100 ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c);
        };
    }

    /** {@code text} as a Python string literal in single quotes, non-printable characters escaped. */
    static String quote(String text) {
        StringBuilder sb = new StringBuilder("'");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\'' || c == '\\') {
                sb.append('\\').append(c);
            } else {
                sb.append(printable(c));
            }
        }
        return sb.append('\'').toString();
    }

    static String abbreviate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max) + "...";
    }
}
