package dev.rwkvjava.serve;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigInteger;

/**
 * Typed reads of request fields. A missing field or JSON null gives null (the caller's default applies); a field of
 * the wrong type or out of range is a 400 that names it.
 */
final class Fields {
    private Fields() {
    }

    static JsonNode get(JsonNode o, String name) {
        JsonNode v = o.get(name);
        return v == null || v.isNull() ? null : v;
    }

    static String string(JsonNode o, String name, String path) {
        JsonNode v = get(o, name);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiException.invalid(path, "'" + path + "' must be a string, got " + kind(v));
        }
        return v.textValue();
    }

    static Boolean bool(JsonNode o, String name) {
        JsonNode v = get(o, name);
        if (v == null) {
            return null;
        }
        if (!v.isBoolean()) {
            throw ApiException.invalid(name, "'" + name + "' must be true or false, got " + kind(v));
        }
        return v.booleanValue();
    }

    /** An integer in [min, max]; a number with a fraction, or one out of range (however large), is refused. */
    static Long integer(JsonNode o, String name, long min, long max) {
        JsonNode v = get(o, name);
        return v == null ? null : integerValue(v, name, min, max);
    }

    static long integerValue(JsonNode v, String path, long min, long max) {
        if (!v.isIntegralNumber()) {
            throw ApiException.invalid(path, "'" + path + "' must be an integer, got " + kind(v));
        }
        BigInteger b = v.bigIntegerValue();
        if (b.compareTo(BigInteger.valueOf(min)) < 0 || b.compareTo(BigInteger.valueOf(max)) > 0) {
            throw ApiException.invalid(path, "'" + path + "' must be between " + min + " and " + max + ", got "
                    + abbreviate(b.toString()));
        }
        return b.longValueExact();
    }

    /** A finite number in [min, max]. */
    static Double number(JsonNode o, String name, double min, double max) {
        JsonNode v = get(o, name);
        return v == null ? null : numberValue(v, name, min, max);
    }

    static double numberValue(JsonNode v, String path, double min, double max) {
        if (!v.isNumber()) {
            throw ApiException.invalid(path, "'" + path + "' must be a number, got " + kind(v));
        }
        double d = v.doubleValue();
        if (!Double.isFinite(d) || d < min || d > max) {
            throw ApiException.invalid(path, "'" + path + "' must be between " + min + " and " + max + ", got "
                    + abbreviate(v.asText()));
        }
        return d;
    }

    /** "a string", "an array", ... for messages. */
    static String kind(JsonNode v) {
        return switch (v.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case NULL, MISSING -> "null";
            case BINARY -> "binary data";
        };
    }

    static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
