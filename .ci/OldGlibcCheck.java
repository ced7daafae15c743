import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.elu4j.Backend;
import org.elu4j.Elu;

/**
 * Run by .ci/old-glibc in a JVM started on an older glibc: the helper library must load there
 * (Elu.on(Backend.HELPER) throws if it did not) and its worker pool must start (pthread_create),
 * and the results must be ELU's. Single-file program: java --class-path ELU4J_JAR OldGlibcCheck.java
 */
public class OldGlibcCheck {
    public static void main(String[] args) {
        Elu elu = Elu.elu().on(Backend.HELPER);
        float[] x = {-3f, -1f, -1e-3f, -0f, 0f, 1e-3f, 2f};
        float[] y = new float[x.length];
        elu.apply(x, y);
        check(x, y);
        // Large enough for the parallel path (the helper's threshold is 512K floats): the worker
        // pool starts its threads here.
        int n = 4 << 20;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4L * n, 64);
            float[] in = new float[n];
            for (int i = 0; i < n; i++) {
                in[i] = -8f + 16f * i / n;
            }
            MemorySegment.copy(in, 0, s, ValueLayout.JAVA_FLOAT, 0, n);
            elu.parallel(4).applyInPlace(s);
            check(in, s.toArray(ValueLayout.JAVA_FLOAT));
        }
        String dnnl = "";
        if (java.util.List.of(args).contains("onednn-needs-2.34")) {
            boolean available = org.elu4j.Elu4j.isAvailable(Backend.ONEDNN); // loads it (or fails to)
            String detail = org.elu4j.Elu4j.backends().stream().filter(b -> b.backend() == Backend.ONEDNN)
                    .findFirst().orElseThrow().detail();
            if (available || !detail.contains("it needs glibc 2.34 or newer, and this system has glibc 2.31")) {
                throw new AssertionError("oneDNN on glibc 2.31: expected unavailable, naming both glibc versions: " + detail);
            }
            dnnl = "; oneDNN refused, naming glibc 2.34";
        }
        System.out.println("OldGlibcCheck: helper loaded and correct, parallel pool ran" + dnnl + ", on "
                + System.getProperty("java.vm.version"));
    }

    private static void check(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) {
            float want = x[i] > 0 ? x[i] : (float) Math.expm1(x[i]);
            if (Math.abs(y[i] - want) > Math.ulp(want) && !(x[i] == 0 && y[i] == 0)) {
                throw new AssertionError("ELU(" + x[i] + ") = " + y[i] + ", expected " + want);
            }
        }
    }
}
