/**
 * The elu4j command line: {@code info}, {@code compare}, {@code apply}, {@code backward} and
 * {@code accuracy}, a .npy reader and writer, and the accuracy scanner. It uses only the exported
 * API of {@code org.elu4j} and measures against {@code org.elu4j.reference}.
 */
module org.elu4j.cli {
    requires org.elu4j;
    requires org.elu4j.reference;
    requires info.picocli;
    requires java.logging;
    requires jdk.management; // compare: the machine's memory (com.sun.management.OperatingSystemMXBean)

    opens org.elu4j.cli to info.picocli;
}
