package kiln;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.javatuples.Tuple;

/**
 * A returned value as {@code codekiln.wire} data, written as JSON text. The encoding follows the
 * value's runtime class, not its declared type (generics are erased, so a {@code List<Long>} may hold
 * anything): the verifier compares the data with the expected value, by type, outside the sandbox.
 * No method of the value that could lie is consulted ({@code equals}, {@code toString}): lists, sets,
 * maps and tuples are iterated, and everything else must be a boxed number, Boolean or String.
 */
public final class Wire {
    private Wire() {
    }

    /** Thrown for a value of a class that has no place in the type vocabulary. */
    public static final class UnsupportedValue extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnsupportedValue(String message) {
            super(message);
        }
    }

    public static String encode(Object value) {
        StringBuilder out = new StringBuilder();
        encode(value, out);
        return out.toString();
    }

    private static void encode(Object value, StringBuilder out) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean) {
            out.append(((Boolean) value).booleanValue());
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short
                || value instanceof Byte) {
            out.append(((Number) value).longValue());
        } else if (value instanceof Double || value instanceof Float) {
            encodeFloat(((Number) value).doubleValue(), out);
        } else if (value instanceof String) {
            out.append(Json.quote((String) value));
        } else if (value instanceof List) {
            items((List<?>) value, out.append('[')).append(']');
        } else if (value instanceof Tuple) {
            items((Tuple) value, out.append("{\"$tuple\":[")).append("]}");
        } else if (value instanceof Set) {
            items((Set<?>) value, out.append("{\"$set\":[")).append("]}");
        } else if (value instanceof Map) {
            out.append("{\"$dict\":[");
            boolean first = true;
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                out.append(first ? "[" : ",[");
                first = false;
                encode(entry.getKey(), out);
                out.append(',');
                encode(entry.getValue(), out);
                out.append(']');
            }
            out.append("]}");
        } else {
            throw new UnsupportedValue("returned a value of unsupported type " + value.getClass().getName());
        }
    }

    private static StringBuilder items(Iterable<?> items, StringBuilder out) {
        boolean first = true;
        for (Object item : items) {
            if (!first) {
                out.append(',');
            }
            first = false;
            encode(item, out);
        }
        return out;
    }

    private static void encodeFloat(double value, StringBuilder out) {
        if (Double.isNaN(value)) {
            out.append("{\"$float\":\"nan\"}");
        } else if (Double.isInfinite(value)) {
            out.append(value > 0 ? "{\"$float\":\"inf\"}" : "{\"$float\":\"-inf\"}");
        } else {
            out.append(Double.toString(value));  // always with '.' or 'E': read back as a float
        }
    }
}
