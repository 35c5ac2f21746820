package kiln;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The calls of the benchmark's test program to the solution, which runs in another sandbox: the proxy
 * {@code Solution} that {@link Check} runs the tests against has one method per method of the benchmark's
 * declaration, each a call to {@link #call}.
 */
public final class Remote {
    private static OutputStream requests;
    private static BufferedReader answers;

    private Remote() {
    }

    /** The solution failed (an exception, a death, a malformed answer): the tests stop, as an error. */
    public static final class RemoteError extends Error {
        private static final long serialVersionUID = 1L;

        RemoteError(String message) {
            super(message);
        }
    }

    static void connect(OutputStream channel) {
        requests = channel;
        answers = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    }

    /** Calls {@code name} of the solution on {@code args}, from the proxy's method of that name: the solution
     * runs its method with that method's parameter types, and the answer is read as its return type. */
    public static synchronized Object call(Class<?> owner, String name, Object[] args) {
        // javac bound the test's call to the proxy method calling this one: its erased parameter types (from its
        // frame, as the proxy's source cannot spell erasures) name the overload the test means in the solution.
        Class<?>[] parameters = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
                .walk(frames -> frames.skip(1).findFirst()).orElseThrow().getMethodType().parameterArray();
        Method method;
        try {
            method = owner.getDeclaredMethod(name, parameters);
        } catch (NoSuchMethodException error) {
            throw new IllegalStateException("kiln.Remote.call is for the proxy's methods only", error);
        }
        StringBuilder names = new StringBuilder();
        for (Class<?> parameter : parameters) {
            names.append(names.length() == 0 ? "" : ",").append(Json.quote(parameter.getName()));
        }
        String line;
        try {
            requests.write(("{\"method\":" + Json.quote(name) + ",\"params\":[" + names + "],\"args\":"
                    + Values.encodeExact(args) + "}\n").getBytes(StandardCharsets.UTF_8));
            requests.flush();
            line = answers.readLine();
        } catch (IOException error) {
            throw new RemoteError("the tests could not reach the solution: " + error.getMessage());
        }
        if (line == null) {
            throw new RemoteError("the solution's process ended before the tests finished");
        }
        Object parsed;
        try {
            parsed = Json.parse(line);
        } catch (RuntimeException | StackOverflowError error) {
            parsed = null;
        }
        if (!(parsed instanceof Map)) {
            throw new RemoteError("the solution's process sent a malformed answer");
        }
        Map<?, ?> answer = (Map<?, ?>) parsed;
        if (answer.containsKey("value")) {
            try {
                return Values.decode(answer.get("value"), method.getGenericReturnType());
            } catch (RuntimeException | StackOverflowError error) {
                throw new RemoteError(name + " returned a value the tests cannot take as "
                        + method.getGenericReturnType().getTypeName() + ": " + error.getMessage());
            }
        }
        if (answer.containsKey("gone")) {
            throw new RemoteError("the solution's process ended before the tests finished");
        }
        if (answer.get("error") instanceof String) {
            throw new RemoteError((String) answer.get("error"));
        }
        throw new RemoteError("the solution's process sent a malformed answer");
    }
}
