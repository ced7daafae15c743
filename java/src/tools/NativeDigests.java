import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.zip.CRC32;

/**
 * Build step (run by java/pom.xml with the JDK's source launcher): records the size, CRC-32 and
 * SHA-256 of each native library the jar ships or loads, so that at run time elu4j identifies a
 * library by its jar entry's size and CRC-32 (read from the jar's central directory) and takes the
 * SHA-256 from here instead of hashing ~93 MB on every start (NativeLibraries).
 *
 * <p>Usage: {@code java NativeDigests.java <output .properties> <kind>=<library>[,<library>...]...};
 * each library gets a line {@code <file name>=<size> <crc-32, hex> <sha-256, hex>}, each kind (a
 * set of libraries extracted together) a line {@code group.<kind>=<24 hex digits>}: the start of
 * the SHA-256 of its {@code <file name>=<sha-256>\n} lines, the name of its extraction directory,
 * so that elu4j needs no SHA-256 at all at run time when the libraries are the ones recorded here.
 */
public final class NativeDigests {
    public static void main(String[] args) throws Exception {
        StringBuilder out = new StringBuilder("# Size, CRC-32 and SHA-256 of the native libraries, recorded by the build\n"
                + "# (java/src/tools/NativeDigests.java); read by org.elu4j.internal.NativeLibraries.\n");
        for (int i = 1; i < args.length; i++) {
            String kind = args[i].substring(0, args[i].indexOf('='));
            MessageDigest group = MessageDigest.getInstance("SHA-256");
            for (String file : args[i].substring(kind.length() + 1).split(",")) {
                Path lib = Path.of(file);
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                CRC32 crc = new CRC32();
                long size = 0;
                try (InputStream in = Files.newInputStream(lib)) {
                    byte[] buffer = new byte[1 << 16];
                    for (int n; (n = in.read(buffer)) > 0; size += n) {
                        sha.update(buffer, 0, n);
                        crc.update(buffer, 0, n);
                    }
                }
                String hex = HexFormat.of().formatHex(sha.digest());
                out.append(lib.getFileName()).append('=').append(size).append(' ')
                        .append(Long.toHexString(crc.getValue())).append(' ').append(hex).append('\n');
                group.update((lib.getFileName() + "=" + hex + "\n").getBytes(StandardCharsets.UTF_8));
            }
            out.append("group.").append(kind).append('=')
                    .append(HexFormat.of().formatHex(group.digest()).substring(0, 24)).append('\n');
        }
        Path target = Path.of(args[0]);
        Files.createDirectories(target.getParent());
        String text = out.toString();
        // Rewrite only on change, so the jar is not rebuilt for nothing.
        if (!Files.exists(target) || !Files.readString(target, StandardCharsets.UTF_8).equals(text)) {
            Files.writeString(target, text, StandardCharsets.UTF_8);
        }
    }

    private NativeDigests() {
    }
}
