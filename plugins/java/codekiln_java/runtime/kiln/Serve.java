package kiln;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The solution's side of a benchmark's own tests (HumanEval-X): {@code java kiln.Serve STACK OFFSET} in a
 * sandbox of its own, beside the benchmark's test program ({@link Check}) in another.
 *
 * <p>Each stdin line is one call the tests made, {@code {"method": NAME, "params": [CLASS NAME, ...], "args":
 * [...]}} (the parameter types of the proxy method the test's call was bound to); the answer, one
 * line on stdout (the channel: the backend starts the JVM with its
 * stdout on the sandbox's fd 3), is {@code {"value": VALUE}} or {@code {"error": "Type: message (line N)"}}
 * ({@link Values} writes the values). The first line on it is {@code {"ready":true}}, written before any
 * solution code runs; {@code System.out} is pointed at stderr. The class {@code Solution} is loaded and
 * instantiated once (as the benchmark's {@code new Solution()} does); if that fails, every call is
 * answered with the error. The method called is the one of that name and those parameter types (the prompt's
 * declaration javac bound the test's call to, whatever overloads the solution adds), else the one of that name
 * and number of arguments; the arguments are read by its declared parameter types. This process never holds
 * the test code or its expected values.
 */
public final class Serve {
    private static final Map<String, Class<?>> PRIMITIVES = Map.of("int", int.class, "long", long.class,
            "double", double.class, "float", float.class, "boolean", boolean.class, "char", char.class,
            "short", short.class, "byte", byte.class);

    private final OutputStream channel;
    private final int lineOffset;

    private Serve(OutputStream channel, int lineOffset) {
        this.channel = channel;
        this.lineOffset = lineOffset;
    }

    public static void main(String[] argv) throws Exception {
        Serve serve = new Serve(new FileOutputStream(FileDescriptor.out), Integer.parseInt(argv[1]));
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
        serve.write("{\"ready\":true}");
        BufferedReader requests = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Thread worker = new Thread(null, () -> serve.serveAll(requests), "solution", Long.parseLong(argv[0]));
        worker.start();
        worker.join();
        Runtime.getRuntime().halt(0);
    }

    private void serveAll(BufferedReader requests) {
        Object instance = null;
        String loadError = null;
        try {
            Class<?> solution = Class.forName("Solution", true, Serve.class.getClassLoader());
            var constructor = solution.getDeclaredConstructor();
            constructor.setAccessible(true);
            instance = constructor.newInstance();
        } catch (ExceptionInInitializerError error) {
            loadError = Harness.describe(error.getCause(), lineOffset);
        } catch (InvocationTargetException error) {
            loadError = Harness.describe(error.getCause(), lineOffset);
        } catch (Throwable error) {
            loadError = Harness.describe(error, lineOffset);
        }
        try {
            for (String line; (line = requests.readLine()) != null; ) {
                write(loadError != null ? error(loadError) : answer(instance, line));
            }
        } catch (IOException error) {
            // stdin closed: the tests are over
        }
    }

    private String answer(Object instance, String line) {
        try {
            return call(instance, line);
        } catch (Throwable failure) {  // arguments the method's declared types cannot take, a result of a
            return error(Harness.describe(failure, lineOffset));  // class of the solution's own, ...
        }
    }

    private String call(Object instance, String line) throws IllegalAccessException {
        Map<?, ?> request = (Map<?, ?>) Json.parse(line);
        String name = (String) request.get("method");
        List<?> wireArgs = (List<?>) request.get("args");
        Method method = exact(instance.getClass(), name, (List<?>) request.get("params"));
        if (method == null) {
            method = find(instance.getClass(), name, wireArgs.size());
        }
        if (method == null) {
            return error("NoSuchMethodError: the solution has no method " + name + " taking " + wireArgs.size()
                    + " argument(s)");
        }
        Type[] types = method.getGenericParameterTypes();
        Object[] args = new Object[types.length];
        for (int i = 0; i < args.length; i++) {
            args[i] = Values.decode(wireArgs.get(i), types[i]);
        }
        try {
            Object target = Modifier.isStatic(method.getModifiers()) ? null : instance;
            return "{\"value\":" + Values.encodeExact(method.invoke(target, args)) + "}";
        } catch (InvocationTargetException thrown) {
            Throwable cause = thrown.getCause();
            String row = error(Harness.describe(cause, lineOffset));
            if (Harness.outOfMemory(cause)) {
                write(row);
                Harness.dieOfMemory(cause);
            }
            return row;
        }
    }

    /** The method {@code name(params...)}, or null where the solution has none. */
    private static Method exact(Class<?> type, String name, List<?> params) {
        Class<?>[] types = new Class<?>[params.size()];
        try {
            for (int i = 0; i < types.length; i++) {
                String param = (String) params.get(i);
                types[i] = PRIMITIVES.containsKey(param) ? PRIMITIVES.get(param)
                        : Class.forName(param, false, Serve.class.getClassLoader());
            }
            Method method = type.getDeclaredMethod(name, types);
            method.setAccessible(true);
            return method;
        } catch (ClassNotFoundException | NoSuchMethodException error) {
            return null;
        }
    }

    private static Method find(Class<?> type, String name, int arity) {
        Method found = null;
        for (Method method : type.getDeclaredMethods()) {
            if (method.getName().equals(name) && method.getParameterCount() == arity && !method.isSynthetic()) {
                if (found == null || Modifier.isPublic(method.getModifiers())) {
                    found = method;
                }
            }
        }
        if (found != null) {
            found.setAccessible(true);
        }
        return found;
    }

    private static String error(String message) {
        return "{\"error\":" + Json.quote(message) + "}";
    }

    private synchronized void write(String row) {
        try {
            channel.write((row + "\n").getBytes(StandardCharsets.UTF_8));
            channel.flush();
        } catch (IOException error) {
            throw new IllegalStateException("cannot write an answer", error);
        }
    }
}
