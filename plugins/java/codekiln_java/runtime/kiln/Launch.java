package kiln;

import java.io.DataInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A JVM started ahead of its sample: {@code java kiln.Launch MAIN ARGS...} starts, loads the harness, and
 * waits on stdin for the sample's class files; it writes them into its work directory (on the class path,
 * looked up only now) and then runs {@code MAIN.main(ARGS)} exactly as {@code java MAIN ARGS} would, the rest
 * of stdin left to it. Used once: one sample per JVM, each in a sandbox of its own.
 *
 * <p>stdin: the number of class files (a 4-byte int), then per file its name (a plain file name, UTF-8) and
 * its bytes, each a 4-byte length and the bytes; then the main class's own input.
 */
public final class Launch {
    public static void main(String[] argv) throws Throwable {
        // Loaded and initialised while waiting, so that the sample does not wait for them: the harness, and the
        // lambda machinery (the harness and KilnMain use lambdas and method references).
        for (Class<?> harness : new Class<?>[] {Harness.class, Json.class, Types.class, Values.class}) {
            Class.forName(harness.getName(), true, Launch.class.getClassLoader());
        }
        Runnable warmUp = () -> Json.parse("{\"calls\":[[1,\"a\",[1.5]]]}");
        warmUp.run();
        InputStream stdin = System.in;
        DataInputStream in = new DataInputStream(stdin);  // unbuffered: what follows the classes is MAIN's
        int count = in.readInt();
        for (int i = 0; i < count; i++) {
            String name = new String(readBytes(in), StandardCharsets.UTF_8);
            if (name.contains("/") || !name.endsWith(".class")) {
                throw new IllegalArgumentException("not a class file name: " + name);
            }
            byte[] bytes = readBytes(in);
            try (FileOutputStream file = new FileOutputStream(name)) {
                file.write(bytes);
            }
        }
        Method main = Class.forName(argv[0], false, Launch.class.getClassLoader()).getMethod("main", String[].class);
        main.setAccessible(true);  // as the java launcher, which runs a main class that is not public
        try {
            main.invoke(null, (Object) Arrays.copyOfRange(argv, 1, argv.length));
        } catch (InvocationTargetException failed) {
            throw failed.getCause();
        }
    }

    /** One length-prefixed field of a request: a 4-byte length, then that many bytes. */
    static byte[] readBytes(DataInputStream in) throws IOException {
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        return bytes;
    }
}
