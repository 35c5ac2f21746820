package kiln;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.javatuples.Decade;
import org.javatuples.Ennead;
import org.javatuples.Octet;
import org.javatuples.Pair;
import org.javatuples.Quartet;
import org.javatuples.Quintet;
import org.javatuples.Septet;
import org.javatuples.Sextet;
import org.javatuples.Triplet;
import org.javatuples.Unit;

/**
 * A type of codekiln's vocabulary ({@code int float bool str list[T] dict[K, V] optional[T]
 * tuple[T1, ...]}), and the decoding of an argument, as the verifier sends it ({@code codekiln.wire}:
 * JSON with {@code $tuple}, {@code $dict} and {@code $float} tags), into the Java value the solution
 * receives: {@code Long}, {@code Double}, {@code Boolean}, {@code String}, a mutable {@code ArrayList},
 * a {@code LinkedHashMap} in the test's key order, an {@code org.javatuples} tuple, or null.
 */
public final class Types {
    private final String name;
    private final Types[] args;

    private Types(String name, Types[] args) {
        this.name = name;
        this.args = args;
    }

    public static Types parse(String text) {
        int[] pos = {0};
        Types type = parse(text.replace(" ", ""), pos);
        if (pos[0] != text.replace(" ", "").length()) {
            throw new IllegalArgumentException("bad type " + text);
        }
        return type;
    }

    private static Types parse(String text, int[] pos) {
        int start = pos[0];
        while (pos[0] < text.length() && Character.isLetter(text.charAt(pos[0]))) {
            pos[0]++;
        }
        String name = text.substring(start, pos[0]);
        List<Types> args = new ArrayList<>();
        if (pos[0] < text.length() && text.charAt(pos[0]) == '[') {
            do {
                pos[0]++;
                args.add(parse(text, pos));
            } while (text.charAt(pos[0]) == ',');
            pos[0]++;  // ']'
        }
        return new Types(name, args.toArray(new Types[0]));
    }

    public Object decode(Object data) {
        if (data == null) {
            return null;
        }
        switch (name) {
            case "int":
                return (Long) data;
            case "float":
                return decodeFloat(data);
            case "bool":
                return (Boolean) data;
            case "str":
                return (String) data;
            case "optional":
                return args[0].decode(data);
            case "list": {
                List<Object> list = new ArrayList<>();
                for (Object item : (List<?>) data) {
                    list.add(args[0].decode(item));
                }
                return list;
            }
            case "dict": {
                Map<Object, Object> map = new LinkedHashMap<>();
                for (Object pair : (List<?>) tagged(data, "$dict")) {
                    List<?> entry = (List<?>) pair;
                    map.put(args[0].decode(entry.get(0)), args[1].decode(entry.get(1)));
                }
                return map;
            }
            case "tuple": {
                List<?> items = (List<?>) tagged(data, "$tuple");
                Object[] values = new Object[args.length];
                for (int i = 0; i < args.length; i++) {
                    values[i] = args[i].decode(items.get(i));
                }
                return tuple(values);
            }
            default:
                throw new IllegalArgumentException("unknown type " + name);
        }
    }

    private static Object tagged(Object data, String tag) {
        Object inner = ((Map<?, ?>) data).get(tag);
        if (inner == null) {
            throw new IllegalArgumentException("expected a " + tag + " value");
        }
        return inner;
    }

    private static Double decodeFloat(Object data) {
        if (data instanceof Number) {
            return ((Number) data).doubleValue();
        }
        String special = (String) tagged(data, "$float");
        switch (special) {
            case "inf": return Double.POSITIVE_INFINITY;
            case "-inf": return Double.NEGATIVE_INFINITY;
            default: return Double.NaN;
        }
    }

    private static Object tuple(Object[] v) {
        switch (v.length) {
            case 1: return new Unit<>(v[0]);
            case 2: return new Pair<>(v[0], v[1]);
            case 3: return new Triplet<>(v[0], v[1], v[2]);
            case 4: return new Quartet<>(v[0], v[1], v[2], v[3]);
            case 5: return new Quintet<>(v[0], v[1], v[2], v[3], v[4]);
            case 6: return new Sextet<>(v[0], v[1], v[2], v[3], v[4], v[5]);
            case 7: return new Septet<>(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
            case 8: return new Octet<>(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
            case 9: return new Ennead<>(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
            case 10: return new Decade<>(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]);
            default: throw new IllegalArgumentException("tuples have 1 to 10 items, not " + v.length);
        }
    }
}
