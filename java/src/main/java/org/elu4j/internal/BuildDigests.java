package org.elu4j.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.zip.CRC32;
import org.elu4j.internal.NativeLocator.Resource;

/**
 * What each bundled native file must be: its size, CRC-32 and SHA-256. The build records them in
 * {@value #DIGESTS_RESOURCE} (beside the helper in the jar), with each set's directory name; a
 * resource whose jar entry has the recorded size and CRC-32 (read from the jar's central
 * directory, without reading the entry) takes the recorded SHA-256. A resource the build did not
 * record (another version of the dnnl jar, a resource outside a jar) is hashed instead, once per
 * JVM (logged at DEBUG).
 *
 * <p>Why a class of its own: hashing oneDNN's library is the cost the default start avoids, so
 * the rule that decides when a digest may be trusted without hashing deserves one place, apart
 * from the file operations of {@link NativeExtractor}, which only compares what this class says.
 */
final class BuildDigests {
    /** Size, CRC-32 and SHA-256 of every bundled library, recorded by the build (java/src/tools/NativeDigests.java). */
    static final String DIGESTS_RESOURCE = "native/linux-x86_64/digests.properties";

    private BuildDigests() {
    }

    /** What a bundled file must be: its size, CRC-32 and SHA-256, and whether they are the build's record. */
    record Expected(Resource resource, long size, long crc, String sha256, boolean recorded) {
        String fileName() {
            return resource.fileName();
        }
    }

    /** Size and CRC-32 of a resource, from its jar entry (no reading) or, for a plain file, by reading it. */
    private record Identity(long size, long crc) {
    }

    /** Lazy holder: the build's digests, by file name: "size crc32 sha256" (hex); read when the first set is extracted. */
    private static final class Recorded {
        static final Map<String, String> BY_NAME = read();

        /** {@code name=value} lines, {@code #} comments (the file NativeDigests writes), parsed by hand: it is read at every start. */
        private static Map<String, String> read() {
            java.util.HashMap<String, String> m = new java.util.HashMap<>();
            try (InputStream in = BuildDigests.class.getResourceAsStream("/" + DIGESTS_RESOURCE)) {
                if (in != null) {
                    for (String line : new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).split("\n")) {
                        int eq = line.indexOf('=');
                        if (eq > 0 && !line.startsWith("#")) {
                            m.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
                        }
                    }
                }
            } catch (IOException e) {
                Log.get().log(System.Logger.Level.DEBUG, "elu4j: cannot read " + DIGESTS_RESOURCE, e);
            }
            return m;
        }
    }

    /**
     * What the resource must contain: the build's record when the resource's size and CRC-32
     * match it (no hashing), otherwise size, CRC-32 and SHA-256 computed from the resource.
     */
    static Expected expected(Resource r) throws IOException {
        Identity id = identity(r.url());
        String recorded = Recorded.BY_NAME.get(r.fileName());
        if (id != null && recorded != null) {
            String[] f = recorded.split(" ");
            if (f.length == 3 && Long.parseLong(f[0]) == id.size() && Long.parseLong(f[1], 16) == id.crc()) {
                return new Expected(r, id.size(), id.crc(), f[2], true);
            }
        }
        long start = System.nanoTime();
        MessageDigest md = sha256();
        CRC32 crc = new CRC32();
        long size = 0;
        try (InputStream in = r.url().openStream()) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; size += n) {
                md.update(buffer, 0, n);
                crc.update(buffer, 0, n);
            }
        }
        Expected e = new Expected(r, size, crc.getValue(), HexFormat.of().formatHex(md.digest()), false);
        Log.get().log(System.Logger.Level.DEBUG, () -> String.format(Locale.ROOT,
                "elu4j: no build-time digest matches %s (%s): hashed it in %.1f ms", r.name(), r.origin(),
                (System.nanoTime() - start) / 1e6));
        return e;
    }

    private static Identity identity(URL url) {
        try {
            String s = url.toString();
            int bang = s.indexOf("!/");
            if (s.startsWith("jar:file:") && bang > 0 && s.indexOf("!/", bang + 2) < 0) {
                // A plain jar on disk: its central directory through ZipFile (what the class path
                // already uses), rather than the jar: URL machinery.
                try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(Path.of(new URI(s.substring(4, bang))).toFile())) {
                    java.util.zip.ZipEntry entry = zip.getEntry(s.substring(bang + 2));
                    if (entry != null && entry.getSize() >= 0 && entry.getCrc() != -1) {
                        return new Identity(entry.getSize(), entry.getCrc());
                    }
                }
                return null;
            }
            URLConnection c = url.openConnection();
            if (c instanceof JarURLConnection jar) { // a nested jar, or another handler's jar: URLs
                JarEntry entry = jar.getJarEntry();
                if (entry != null && entry.getSize() >= 0 && entry.getCrc() != -1) {
                    return new Identity(entry.getSize(), entry.getCrc());
                }
            } else if ("file".equals(url.getProtocol())) {
                Path file = Path.of(url.toURI());
                CRC32 crc = new CRC32();
                try (InputStream in = Files.newInputStream(file)) {
                    byte[] buffer = new byte[1 << 16];
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        crc.update(buffer, 0, n);
                    }
                }
                return new Identity(Files.size(file), crc.getValue());
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            Log.get().log(System.Logger.Level.DEBUG, "elu4j: cannot read the size and CRC of " + url, e);
        }
        return null;
    }

    /** The directory name the build recorded for a set ({@code helper}, {@code dnnl}), or null. */
    static String recordedGroup(String kind) {
        return Recorded.BY_NAME.get("group." + kind);
    }

    /** The SHA-256 of what {@code in} holds, in hex. */
    static String hash(InputStream in) throws IOException {
        MessageDigest md = sha256();
        byte[] buffer = new byte[1 << 16];
        for (int r; (r = in.read(buffer)) > 0; ) {
            md.update(buffer, 0, r);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
