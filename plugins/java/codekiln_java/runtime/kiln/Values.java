package kiln;

import java.lang.reflect.Array;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.javatuples.Tuple;

/**
 * The one value codec of the Java runtime: values as JSON text, and JSON back as values of a Java type.
 *
 * <p>A value is written by its runtime class, never by a method of it that could lie ({@code equals},
 * {@code toString}): lists, arrays, sets, maps and tuples are iterated, and everything else must be a boxed
 * number, Boolean, Character, String or Optional. Integer, Short and Byte are JSON integers; Double and
 * Float JSON numbers that always hold a '.' or an exponent (non-finite ones {@code {"$float": "inf" |
 * "-inf" | "nan"}}); lists and arrays JSON arrays; sets {@code {"$set": [...]}}; maps
 * {@code {"$dict": [[k, v], ...]}}; javatuples {@code {"$tuple": [...]}}; Character {@code {"$char": "c"}};
 * Optional {@code {"$optional": []}} or {@code {"$optional": [v]}}; null is null. Long is the one class
 * written two ways:
 *
 * <ul>
 *   <li>{@link #encode} (the {@code codekiln.value_codec} encoding, read by the verifier, which compares
 *       the data with the expected value by the declared type outside the sandbox): a JSON integer;
 *   <li>{@link #encodeExact} (read back by another JVM, a benchmark's own tests, with {@link #decode}):
 *       {@code {"$long": N}}, so that a {@code Long} where the tests expect {@code Object} stays a Long.
 * </ul>
 *
 * <p>{@link #decode} reads a value by the Java type expected there; where that type is {@code Object}, by
 * what the JSON says: an integer literal is an Integer, as in Java source. Strings are interned, as
 * literals are, so code that compares them with {@code ==} behaves as it would with the benchmark's
 * literals.
 */
public final class Values {
    private Values() {
    }

    /** Thrown for a value of a class that has no place in the encoding. */
    public static final class UnsupportedValue extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnsupportedValue(String message) {
            super(message);
        }
    }

    /** {@code value} as {@code codekiln.value_codec} data, for the verifier. */
    public static String encode(Object value) {
        StringBuilder out = new StringBuilder();
        encode(value, false, out);
        return out.toString();
    }

    /** {@code value} exactly, for another JVM to read back with {@link #decode}. */
    public static String encodeExact(Object value) {
        StringBuilder out = new StringBuilder();
        encode(value, true, out);
        return out.toString();
    }

    private static void encode(Object value, boolean exact, StringBuilder out) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean) {
            out.append(value);
        } else if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            out.append(((Number) value).intValue());
        } else if (value instanceof Long) {
            out.append(exact ? "{\"$long\":" + value + "}" : value);
        } else if (value instanceof Double || value instanceof Float) {
            double number = ((Number) value).doubleValue();
            if (Double.isNaN(number)) {
                out.append("{\"$float\":\"nan\"}");
            } else if (Double.isInfinite(number)) {
                out.append(number > 0 ? "{\"$float\":\"inf\"}" : "{\"$float\":\"-inf\"}");
            } else {
                out.append(Double.toString(number));  // always with '.' or 'E': read back as a float
            }
        } else if (value instanceof String) {
            out.append(Json.quote((String) value));
        } else if (value instanceof Character) {
            out.append("{\"$char\":").append(Json.quote(value.toString())).append('}');
        } else if (value instanceof Optional) {
            Optional<?> optional = (Optional<?>) value;
            out.append("{\"$optional\":[");
            if (optional.isPresent()) {
                encode(optional.get(), exact, out);
            }
            out.append("]}");
        } else if (value instanceof Set) {
            items((Set<?>) value, exact, out.append("{\"$set\":")).append('}');
        } else if (value instanceof Collection) {
            items((Collection<?>) value, exact, out);
        } else if (value instanceof Tuple) {
            items((Tuple) value, exact, out.append("{\"$tuple\":")).append('}');
        } else if (value.getClass().isArray()) {
            List<Object> list = new ArrayList<>();
            for (int i = 0; i < Array.getLength(value); i++) {
                list.add(Array.get(value, i));
            }
            items(list, exact, out);
        } else if (value instanceof Map) {
            out.append("{\"$dict\":[");
            boolean first = true;
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                out.append(first ? "[" : ",[");
                first = false;
                encode(entry.getKey(), exact, out);
                out.append(',');
                encode(entry.getValue(), exact, out);
                out.append(']');
            }
            out.append("]}");
        } else {
            throw new UnsupportedValue("returned a value of unsupported type " + value.getClass().getName());
        }
    }

    private static StringBuilder items(Iterable<?> items, boolean exact, StringBuilder out) {
        out.append('[');
        boolean first = true;
        for (Object item : items) {
            if (!first) {
                out.append(',');
            }
            first = false;
            encode(item, exact, out);
        }
        return out.append(']');
    }

    /** Parsed JSON ({@link Json#parse}) as a value of {@code type}. */
    public static Object decode(Object data, Type type) {
        if (data == null) {
            return null;
        }
        Class<?> raw = rawClass(type);
        if (raw == Object.class) {
            return decodeAny(data);
        }
        if (raw == int.class || raw == Integer.class) {
            return (int) integral(data);
        }
        if (raw == long.class || raw == Long.class) {
            return integral(data);
        }
        if (raw == short.class || raw == Short.class) {
            return (short) integral(data);
        }
        if (raw == byte.class || raw == Byte.class) {
            return (byte) integral(data);
        }
        if (raw == double.class || raw == Double.class) {
            return floating(data);
        }
        if (raw == float.class || raw == Float.class) {
            return (float) floating(data);
        }
        if (raw == boolean.class || raw == Boolean.class) {
            return (Boolean) data;
        }
        if (raw == char.class || raw == Character.class) {
            return ((String) tagged(data, "$char")).charAt(0);
        }
        if (raw == String.class) {
            return ((String) data).intern();
        }
        if (raw == Optional.class) {
            List<?> inner = (List<?>) tagged(data, "$optional");
            return inner.isEmpty() ? Optional.empty() : Optional.ofNullable(decode(inner.get(0), argument(type, 0)));
        }
        if (raw.isArray()) {
            Type component = type instanceof GenericArrayType
                    ? ((GenericArrayType) type).getGenericComponentType() : raw.getComponentType();
            List<?> items = (List<?>) data;
            Object array = Array.newInstance(rawClass(component), items.size());
            for (int i = 0; i < items.size(); i++) {
                Array.set(array, i, decode(items.get(i), component));
            }
            return array;
        }
        if (Map.class.isAssignableFrom(raw)) {
            Map<Object, Object> map = new HashMap<>();
            for (Object pair : (List<?>) tagged(data, "$dict")) {
                List<?> entry = (List<?>) pair;
                map.put(decode(entry.get(0), argument(type, 0)), decode(entry.get(1), argument(type, 1)));
            }
            return map;
        }
        if (Set.class.isAssignableFrom(raw)) {
            Object items = data instanceof Map ? tagged(data, "$set") : data;
            Set<Object> set = new LinkedHashSet<>();
            for (Object item : (List<?>) items) {
                set.add(decode(item, argument(type, 0)));
            }
            return set;
        }
        if (raw.isAssignableFrom(ArrayList.class)) {  // List, Collection, Iterable, ArrayList
            List<Object> list = new ArrayList<>();
            for (Object item : (List<?>) data) {
                list.add(decode(item, argument(type, 0)));
            }
            return list;
        }
        throw new IllegalArgumentException("cannot carry a value of type " + type.getTypeName());
    }

    /** A value whose expected type is Object: what the JSON itself says. */
    private static Object decodeAny(Object data) {
        if (data instanceof Long) {
            long value = (Long) data;
            return value == (int) value ? (Object) (int) value : (Object) value;
        }
        if (data instanceof String) {
            return ((String) data).intern();
        }
        if (data instanceof List) {
            return decode(data, List.class);
        }
        if (data instanceof Map) {
            Map<?, ?> map = (Map<?, ?>) data;
            if (map.containsKey("$long")) {
                return integral(data);
            }
            if (map.containsKey("$float")) {
                return floating(data);
            }
            if (map.containsKey("$char")) {
                return decode(data, Character.class);
            }
            if (map.containsKey("$optional")) {
                return decode(data, Optional.class);
            }
            if (map.containsKey("$set")) {
                return decode(data, HashSet.class);
            }
            return decode(data, Map.class);
        }
        return data;  // Boolean, Double
    }

    private static long integral(Object data) {
        return data instanceof Map ? ((Number) tagged(data, "$long")).longValue() : (Long) data;
    }

    private static double floating(Object data) {
        if (data instanceof Number) {
            return ((Number) data).doubleValue();
        }
        switch ((String) tagged(data, "$float")) {
            case "inf": return Double.POSITIVE_INFINITY;
            case "-inf": return Double.NEGATIVE_INFINITY;
            default: return Double.NaN;
        }
    }

    private static Object tagged(Object data, String tag) {
        Object inner = ((Map<?, ?>) data).get(tag);
        if (inner == null) {
            throw new IllegalArgumentException("expected a " + tag + " value");
        }
        return inner;
    }

    private static Class<?> rawClass(Type type) {
        if (type instanceof Class) {
            return (Class<?>) type;
        }
        if (type instanceof ParameterizedType) {
            return (Class<?>) ((ParameterizedType) type).getRawType();
        }
        if (type instanceof GenericArrayType) {
            return Array.newInstance(rawClass(((GenericArrayType) type).getGenericComponentType()), 0).getClass();
        }
        if (type instanceof WildcardType) {
            return rawClass(((WildcardType) type).getUpperBounds()[0]);
        }
        return Object.class;  // a type variable
    }

    private static Type argument(Type type, int index) {
        if (type instanceof ParameterizedType) {
            return ((ParameterizedType) type).getActualTypeArguments()[index];
        }
        return Object.class;
    }
}
