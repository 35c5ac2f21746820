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

    /** Calls {@code name} of the solution on {@code args}; the answer is read as the return type of
     * {@code owner}'s (the proxy's) method of that name and number of parameters. */
    public static synchronized Object call(Class<?> owner, String name, Object[] args) {
        Method method = null;
        for (Method candidate : owner.getDeclaredMethods()) {
            if (candidate.getName().equals(name) && candidate.getParameterCount() == args.length) {
                method = candidate;
            }
        }
        String line;
        try {
            requests.write(("{\"method\":" + Json.quote(name) + ",\"args\":" + Values.encodeExact(args) + "}\n")
                    .getBytes(StandardCharsets.UTF_8));
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
