package kiln;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs a submitted Java solution on each test's arguments inside the sandbox; the generated
 * {@code KilnMain} (one per problem) supplies the typed call and starts it.
 *
 * <p>stdin holds {@code {"calls": [ARGS, ...]}}, each ARGS a list of wire values. Rows go to stdout
 * through a stream of the harness's own; {@code System.out} is pointed at stderr before any solution
 * code runs, so what the solution prints can neither forge a row nor break the stream. The first row,
 * {@code {"ready":true}}, is written before any solution code runs, so a harness that failed to start is
 * told apart from a solution that failed; then {@code {"load_error": ...}} if the class {@code Solution}
 * fails to initialise, else one row per call, {@code {"value": WIRE, "time": SECONDS}} or
 * {@code {"error": "Type: message"}}, then {@code {"done":true}}. Each row is written unbuffered, so
 * rows survive a {@code System.exit} or a kill. The expected values never enter the sandbox: the
 * verifier compares outside, so exiting early, printing "PASS" or overriding {@code equals} gains
 * nothing.
 *
 * <p>Arguments: the solution thread's stack size in bytes, and the number of lines that precede the
 * submitted code in Solution.java (to report an exception's line in the submission).
 */
public final class Harness {
    /** The solution's function, applied to decoded arguments. */
    public interface Call {
        Object apply(Object[] args) throws Throwable;
    }

    private final OutputStream results;
    private final int lineOffset;
    private volatile boolean finished;

    private Harness(OutputStream results, int lineOffset) {
        this.results = results;
        this.lineOffset = lineOffset;
    }

    public static void run(String[] parameterTypes, Call call, String[] argv) throws Exception {
        Harness harness = new Harness(new FileOutputStream(FileDescriptor.out), Integer.parseInt(argv[1]));
        // Every call's arguments are read and decoded before the ready row: a failure here is the harness's
        // (no ready row), never the solution's. Each call gets objects of its own, so a solution that
        // mutates its arguments changes nothing for the next call.
        String input = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        List<Object[]> calls = new ArrayList<>();
        for (Object wireArgs : (List<?>) ((Map<?, ?>) Json.parse(input)).get("calls")) {
            Object[] args = new Object[parameterTypes.length];
            for (int i = 0; i < args.length; i++) {
                args[i] = Types.parse(parameterTypes[i]).decode(((List<?>) wireArgs).get(i));
            }
            calls.add(args);
        }
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
        harness.write("{\"ready\":true}");
        // Recursive solutions get the stack the limits allow, not the JVM's default 1 MB.
        Thread worker = new Thread(null, () -> harness.serve(calls, call), "solution", Long.parseLong(argv[0]));
        worker.start();
        worker.join();
        // halt, not exit: threads the solution left running and its shutdown hooks do not matter.
        Runtime.getRuntime().halt(harness.finished ? 0 : 1);
    }

    private void serve(List<Object[]> calls, Call call) {
        try {
            Class.forName("Solution", true, Harness.class.getClassLoader());
        } catch (ExceptionInInitializerError error) {
            write("{\"load_error\":" + Json.quote(describe(error.getCause())) + "}");
            finished = true;
            return;
        } catch (Throwable error) {
            write("{\"load_error\":" + Json.quote(describe(error)) + "}");
            finished = true;
            return;
        }
        for (Object[] args : calls) {
            write(callOnce(call, args));
        }
        write("{\"done\":true}");
        finished = true;
    }

    private String callOnce(Call call, Object[] args) {
        long start = System.nanoTime();
        try {
            String value = Values.encode(call.apply(args));
            double seconds = (System.nanoTime() - start) / 1e9;
            return "{\"value\":" + value + ",\"time\":" + seconds + "}";
        } catch (Throwable error) {
            String row = "{\"error\":" + Json.quote(describe(error)) + "}";
            if (outOfMemory(error)) {
                write(row);
                dieOfMemory(error);
            }
            return row;
        }
    }

    /** The heap ran out (not the threads: "unable to create native thread" is the process limit). */
    static boolean outOfMemory(Throwable error) {
        return error instanceof OutOfMemoryError && !String.valueOf(error.getMessage()).contains("native thread");
    }

    /** Ends the run so that the verifier reads a memory limit: this line on stderr and a failed exit. */
    static void dieOfMemory(Throwable error) {
        System.err.println("java.lang.OutOfMemoryError: " + error.getMessage());
        Runtime.getRuntime().halt(1);
    }

    private String describe(Throwable error) {
        return describe(error, lineOffset);
    }

    /** "Type: message (line N)", N the line in the submitted code where it was thrown, when known
     * (Solution.java holds {@code lineOffset} lines before the submitted code; none when it is negative). */
    static String describe(Throwable error, int lineOffset) {
        if (error == null) {
            return "Error: unknown";
        }
        String message = error.getMessage();
        String type = error.getClass().getSimpleName();
        String text = (type.isEmpty() ? error.getClass().getName() : type) + (message == null ? "" : ": " + message);
        for (StackTraceElement frame : lineOffset < 0 ? new StackTraceElement[0] : error.getStackTrace()) {
            if ("Solution.java".equals(frame.getFileName()) && frame.getLineNumber() > lineOffset) {
                text += " (line " + (frame.getLineNumber() - lineOffset) + ")";
                break;
            }
        }
        return text.length() <= 500 ? text : text.substring(0, 497) + "...";
    }

    private synchronized void write(String row) {
        try {
            results.write((row + "\n").getBytes(StandardCharsets.UTF_8));
            results.flush();
        } catch (IOException error) {
            throw new IllegalStateException("cannot write a result row", error);
        }
    }
}
