package kiln;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;

/**
 * javac kept warm: the JDK's own compiler ({@code javax.tools}), called once per sample in a JVM that lives
 * across samples, in a sandbox of its own. It only ever compiles: annotation processing is off
 * ({@code -proc:none} is among the options the backend passes), so no code of a sample runs here, and every
 * compile gets a compiler context of its own, the sources and the class files in memory. What stays
 * between compiles is the JDK's and kiln.jar's classes, read-only.
 *
 * <p>Arguments: the compile's wall-time budget and its CPU budget in seconds, the class path (kiln.jar), then
 * javac's options. A request
 * on stdin: the number of files (a 4-byte int), then per file its name and its text, each a 4-byte length
 * and that many bytes of UTF-8 (as {@link Launch} reads its class files). The answer, one JSON line on stdout (the sandbox's channel):
 * {@code {"ok": BOOL, "output": TEXT, "classes": {"Name.class": BASE64, ...}}}, what {@code javac} would
 * have printed (the same diagnostics, positions and counts) and the top-level class files it would have
 * written; or {@code {"crash": TEXT}} when the compiler itself failed (a {@code StackOverflowError} on
 * deeply nested code, say), after which this JVM exits; the verifier then compiles that sample with a
 * {@code javac} of its own. A compile whose thread spends the CPU budget is answered {@code {"limit":
 * "cpu_time"}}, the code's fault as a {@code javac} out of CPU time is, and the JVM exits: compiling it again
 * would only spend the budget twice. A compile that runs past the wall-time budget first (a busy machine,
 * not the code) ends the JVM without an answer, and the verifier's own {@code javac} takes the sample.
 */
public final class CompileServer {
    /** What javac prints, in the API, when it fails within itself (the command line's "out of resources"). */
    private static final String COMPILER_BUG = "An exception has occurred in the compiler";

    private final JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    private final StandardJavaFileManager files;
    private final List<String> options;

    private CompileServer(String classPath, List<String> options) throws Exception {
        this.files = compiler.getStandardFileManager(null, Locale.ENGLISH, StandardCharsets.UTF_8);
        this.files.setLocation(StandardLocation.CLASS_PATH, List.of(new File(classPath)));
        this.options = options;
    }

    public static void main(String[] argv) throws Exception {
        long wallBudgetNs = (long) (Double.parseDouble(argv[0]) * 1e9);
        long cpuBudgetNs = (long) (Double.parseDouble(argv[1]) * 1e9);
        CompileServer server = new CompileServer(argv[2], Arrays.asList(argv).subList(3, argv.length));
        OutputStream answers = new FileOutputStream(FileDescriptor.out);
        DataInputStream requests = new DataInputStream(new BufferedInputStream(System.in));
        // Each compile in a thread of the default stack size, as the javac launcher's main thread has, so
        // that nesting deep enough to overflow javac's stack does so here as there.
        AtomicReference<Thread> compiler = new AtomicReference<>();
        ExecutorService compiling = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "compile");
            thread.setDaemon(true);
            compiler.set(thread);
            return thread;
        });
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        while (true) {
            Map<String, String> sources;
            try {
                sources = read(requests);
            } catch (EOFException end) {
                Runtime.getRuntime().halt(0);
                return;
            }
            long cpuBefore = cpuTime(threads, compiler.get());  // the thread's, over all its compiles so far
            long started = System.nanoTime();
            Future<String> answer = compiling.submit(() -> server.compile(sources));
            String line = null;
            while (line == null) {
                long cpu = cpuTime(threads, compiler.get());
                long cpuLeft = cpu < 0 ? Long.MAX_VALUE : cpuBudgetNs - (cpu - Math.max(cpuBefore, 0));
                long wallLeft = wallBudgetNs - (System.nanoTime() - started);
                if (cpuLeft <= 0) {
                    line = "{\"limit\":\"cpu_time\"}";
                } else if (wallLeft <= 0) {
                    Runtime.getRuntime().halt(3);  // no answer: the verifier's own javac takes the sample
                    return;
                } else {
                    // A thread spends no more CPU time than wall time: the budget cannot run out sooner.
                    try {
                        line = answer.get(Math.max(1, Math.min(cpuLeft, wallLeft)), TimeUnit.NANOSECONDS);
                    } catch (TimeoutException notYet) {
                        line = null;
                    } catch (ExecutionException failed) {
                        line = crash(failed.getCause());
                    }
                }
            }
            answers.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            answers.flush();
            if (line.startsWith("{\"crash\"") || line.startsWith("{\"limit\"")) {
                Runtime.getRuntime().halt(0);  // a compiler that failed within itself, or still busy: not used again
            }
        }
    }

    /** The CPU time of the compile thread in nanoseconds: 0 before it exists, -1 where the JVM cannot tell. */
    private static long cpuTime(ThreadMXBean threads, Thread thread) {
        return thread == null ? 0 : threads.getThreadCpuTime(thread.getId());
    }

    private static Map<String, String> read(DataInputStream in) throws Exception {
        int count = in.readInt();
        Map<String, String> sources = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            String name = new String(Launch.readBytes(in), StandardCharsets.UTF_8);
            sources.put(name, new String(Launch.readBytes(in), StandardCharsets.UTF_8));
        }
        return sources;
    }

    private String compile(Map<String, String> sources) throws Exception {
        List<JavaFileObject> units = new ArrayList<>();
        sources.forEach((name, text) -> units.add(new Source(name, text)));
        Map<String, Output> classes = new LinkedHashMap<>();
        JavaFileManager output = new ForwardingJavaFileManager<JavaFileManager>(files) {
            @Override
            public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind,
                                                       FileObject sibling) {
                Output file = new Output(className, kind);
                classes.put(className, file);
                return file;
            }
        };
        StringWriter printed = new StringWriter();
        boolean ok = compiler.getTask(printed, output, null, options, null, units).call();
        String text = printed.toString();
        if (text.contains(COMPILER_BUG)) {
            return crash(new IllegalStateException(text.substring(text.indexOf(COMPILER_BUG)).split("\n")[0]));
        }
        StringBuilder line = new StringBuilder("{\"ok\":").append(ok).append(",\"output\":").append(Json.quote(text))
            .append(",\"classes\":{");
        String separator = "";
        for (Map.Entry<String, Output> entry : classes.entrySet()) {
            if (entry.getKey().contains(".")) {
                continue;  // a class in a package: javac -d would write it below the output directory
            }
            line.append(separator).append(Json.quote(entry.getKey() + ".class")).append(':')
                .append('"').append(Base64.getEncoder().encodeToString(entry.getValue().bytes.toByteArray()))
                .append('"');
            separator = ",";
        }
        return line.append("}}").toString();
    }

    private static String crash(Throwable error) {
        return "{\"crash\":" + Json.quote(error.getClass().getName() + ": " + error.getMessage()) + "}";
    }

    /** A source file in memory, named as javac on the command line names it in diagnostics. */
    private static final class Source extends SimpleJavaFileObject {
        private final String name;
        private final String text;

        Source(String name, String text) {
            super(URI.create("string:///" + name), Kind.SOURCE);
            this.name = name;
            this.text = text;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return text;
        }
    }

    /** A class file in memory. */
    private static final class Output extends SimpleJavaFileObject {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Output(String className, Kind kind) {
            super(URI.create("mem:///" + className.replace('.', '/') + kind.extension), kind);
        }

        @Override
        public OutputStream openOutputStream() {
            return bytes;
        }
    }
}
