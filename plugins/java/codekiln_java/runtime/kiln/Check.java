package kiln;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;

/**
 * The benchmark's side of its own tests (HumanEval-X): {@code java kiln.Check} runs the benchmark's
 * {@code Main.main} in a sandbox of its own, against a proxy {@code Solution} whose methods call the
 * solution in another sandbox ({@link Remote}: requests on stdout, which the backend
 * points at the sandbox's fd 3, answers on stdin). The solution never
 * runs here, so it can neither reach the test code and its expected values nor end this process.
 *
 * <p>The channel carries {@code {"ready":true}}, then the calls, then the verdict {@code {"check": "passed" |
 * "failed" | "error", "message": ...}}: "failed" when the tests threw (an {@code AssertionError}, or
 * anything else the solution's results made them throw), "error" when the solution failed or died.
 */
public final class Check {
    private Check() {
    }

    public static void main(String[] argv) throws Exception {
        OutputStream channel = new FileOutputStream(FileDescriptor.out);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
        channel.write("{\"ready\":true}\n".getBytes(StandardCharsets.UTF_8));
        channel.flush();
        Remote.connect(channel);
        String verdict;
        try {
            Class.forName("Main").getMethod("main", String[].class).invoke(null, (Object) new String[0]);
            verdict = "{\"check\":\"passed\"}";
        } catch (InvocationTargetException thrown) {
            verdict = verdict(thrown.getCause());
        }
        synchronized (Remote.class) {  // not in the middle of a call's request
            channel.write((verdict + "\n").getBytes(StandardCharsets.UTF_8));
            channel.flush();
        }
        Runtime.getRuntime().halt(0);
    }

    private static String verdict(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof Remote.RemoteError) {
                return "{\"check\":\"error\",\"message\":" + Json.quote(cause.getMessage()) + "}";
            }
        }
        String message = error instanceof AssertionError
                ? "assertion failed" + (error.getMessage() == null ? "" : ": " + error.getMessage())
                : Harness.describe(error, -1);
        return "{\"check\":\"failed\",\"message\":" + Json.quote(message) + "}";
    }
}
