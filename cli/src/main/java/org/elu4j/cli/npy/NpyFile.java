package org.elu4j.cli.npy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileChannel.MapMode;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Reads and writes {@code .npy} files through memory maps ({@link FileChannel#map(MapMode, long,
 * long, Arena)}): the array data is never copied onto the Java heap.
 *
 * <p>Every failure, I/O errors included, is an {@link NpyException} whose message is one line that
 * names the file, except exceptions thrown by a caller's {@code fill}, which pass through unchanged.
 */
public final class NpyFile {

    private NpyFile() {}

    /**
     * Maps a {@code .npy} file for reading.
     *
     * <p>The file must be a C-order array of a type elu4j supports ({@link NpyDtype}) whose data is
     * exactly as long as the header says: a shorter file is "truncated" and a longer one has
     * "trailing data", both refused. A {@code fortran_order: True} header is accepted only where the
     * layout is the same as C order (at most one dimension longer than 1).
     *
     * @param path the file
     * @param arena the arena the data is mapped in; the segment is unmapped when it closes
     * @return the header and a read-only segment of exactly {@link NpyHeader#dataBytes()} bytes (of
     *     size 0 for an array with no elements)
     * @throws NpyException if the file cannot be read or is not such a {@code .npy} file
     */
    public static NpyArray mapForRead(Path path, Arena arena) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(arena, "arena");
        refuseNonRegular(path);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            NpyHeader header = readHeader(ch, size);
            if (header.fortranOrder() && !sameAsCOrder(header.shape())) {
                throw new NpyException(null, "Fortran-order arrays are not supported; save with np.ascontiguousarray");
            }
            long dataBytes = header.dataBytes();
            long available = size - header.dataOffset();
            if (available != dataBytes) {
                throw new NpyException(null, (available < dataBytes ? "truncated" : "unexpected trailing data")
                        + ": header says " + header.elementCount() + " element" + (header.elementCount() == 1 ? "" : "s")
                        + " (" + dataBytes + " bytes of data) but the file has " + available + " bytes after its "
                        + header.dataOffset() + "-byte header");
            }
            MemorySegment data = ch.map(MapMode.READ_ONLY, header.dataOffset(), dataBytes, arena);
            return new NpyArray(path, header, data.isReadOnly() ? data : data.asReadOnly());
        } catch (NpyException e) {
            throw e.withPath(path);
        } catch (IOException e) {
            throw new NpyException(path, "cannot read: " + describe(e, path), e);
        }
    }

    /**
     * Reads only the header of a {@code .npy} file (any order, any supported type), without
     * checking the data's length.
     *
     * @throws NpyException if the file cannot be read or its header is not valid
     */
    public static NpyHeader readHeader(Path path) {
        Objects.requireNonNull(path, "path");
        refuseNonRegular(path);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return readHeader(ch, ch.size());
        } catch (NpyException e) {
            throw e.withPath(path);
        } catch (IOException e) {
            throw new NpyException(path, "cannot read: " + describe(e, path), e);
        }
    }

    /**
     * A pipe or a device (as {@code <(...)} in a shell gives) is refused by name before it is
     * opened: opening a pipe waits for a writer, and its size reads 0 ("the file is empty"); the
     * data is mapped into memory, which needs a file. A missing path and a directory are left to
     * the open, whose errors say so.
     */
    private static void refuseNonRegular(Path path) {
        if (Files.exists(path) && !Files.isRegularFile(path) && !Files.isDirectory(path)) {
            throw new NpyException(path, "cannot read: not a regular file (a pipe or a device?): "
                    + ".npy input is mapped into memory, so it must be a file");
        }
    }

    private static NpyHeader readHeader(FileChannel ch, long size) throws IOException {
        int first = (int) Math.min(size, 12);
        byte[] start = new byte[first];
        readFully(ch, ByteBuffer.wrap(start), 0);
        int prefix = NpyHeader.checkPrefix(start, first, size);
        int version = start[6];
        long length = NpyHeader.headerLengthField(start, version);
        NpyHeader.checkHeaderLength(length, size - prefix);
        byte[] text = new byte[(int) length];
        readFully(ch, ByteBuffer.wrap(text), prefix);
        return NpyHeader.parseText(text, 0, text.length, version);
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            int n = ch.read(b, p);
            if (n < 0) {
                throw new IOException("file shrank while being read");
            }
            p += n;
        }
    }

    private static boolean sameAsCOrder(long[] shape) {
        int longer = 0;
        for (long d : shape) {
            if (d == 0) {
                return true;
            }
            if (d > 1) {
                longer++;
            }
        }
        return longer <= 1;
    }

    /**
     * Writes {@code out} all at once or not at all: writes the header and the data, which
     * {@code fill} puts into a writable mapped segment of exactly {@link NpyHeader#dataBytes()} bytes,
     * into a new temporary file in the same directory ({@code .NAME.tmp<random>}), forces it to
     * disk and renames it over {@code out} atomically. If anything fails, {@code fill} included, the
     * temporary file is deleted and {@code out} is as it was: absent, or the old file. {@code out}
     * may be the file an input is mapped from: that mapping keeps the old contents.
     *
     * <p>The segment's arena is shared, so {@code fill} may hand it to other threads, but they must be
     * done with it when {@code fill} returns. A replaced file's POSIX permissions are kept; a new file
     * gets the process's default ones.
     *
     * @param out the file to write
     * @param header its header, as {@link NpyHeader#of(NpyDtype, long...)} makes it
     * @param fill writes every byte of the data; an exception it throws is rethrown unchanged
     * @throws NpyException if the file cannot be written
     * @throws IllegalStateException if {@code header} is not one NumPy would write
     */
    public static void writeAtomically(Path out, NpyHeader header, Consumer<? super MemorySegment> fill) {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(fill, "fill");
        byte[] headerBytes = header.toBytes();
        long dataBytes = header.dataBytes();
        Path target = out.toAbsolutePath();
        Path tmp;
        try {
            target = existingTarget(out, target);
            tmp = createTempBeside(target);
            tmp.toFile().deleteOnExit(); // an interrupted run (Ctrl-C) leaves no temporary file behind
        } catch (NoSuchFileException | NotDirectoryException e) {
            String why = Files.isDirectory(target.getParent()) ? describe(e, target) : "no such directory " + target.getParent();
            throw new NpyException(out, "cannot write: " + why, e);
        } catch (AccessDeniedException e) {
            throw new NpyException(out, "cannot write: permission denied to create a file in " + target.getParent(), e);
        } catch (IOException e) {
            throw new NpyException(out, "cannot write: " + describe(e, target), e);
        }
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ByteBuffer hb = ByteBuffer.wrap(headerBytes);
                long p = 0;
                while (hb.hasRemaining()) {
                    p += ch.write(hb, p);
                }
                // The data's blocks are written once before the mapping: a mapping reserves no disk
                // space, and a full disk under it is a fault (SIGBUS: the JVM dies, and a native
                // writer kills it) instead of an IOException here.
                ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(1 << 20, Math.max(1, dataBytes)));
                for (long end = headerBytes.length + dataBytes; p < end; ) {
                    zeros.clear().limit((int) Math.min(zeros.capacity(), end - p));
                    p += ch.write(zeros, p);
                }
                try (Arena arena = Arena.ofShared()) {
                    MemorySegment data = ch.map(MapMode.READ_WRITE, headerBytes.length, dataBytes, arena);
                    fill.accept(data);
                    data.force();
                }
                if (ch.size() != headerBytes.length + dataBytes) {
                    throw new IOException("temporary file has " + ch.size() + " bytes, expected "
                            + (headerBytes.length + dataBytes));
                }
                ch.force(true);
            }
            keepPermissions(target, tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            moved = true;
        } catch (IOException e) {
            throw new NpyException(out, "cannot write: " + describe(e, target), e);
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException | RuntimeException ignored) {
                    // nothing more to do: the failure being reported matters more
                }
            }
        }
        syncDirectory(target.getParent());
    }

    /** {@link #writeAtomically(Path, NpyHeader, Consumer)} with the header NumPy writes for a C-order array. */
    public static void writeAtomically(Path out, NpyDtype dtype, long[] shape, Consumer<? super MemorySegment> fill) {
        writeAtomically(out, NpyHeader.of(dtype, shape), fill);
    }

    /**
     * Where {@code out} really is: a link's target (the link stays, the file it names is replaced);
     * refused when it exists but is no regular file (a device, a directory: a rename would replace
     * it) or cannot be written (as for any program that writes a file).
     */
    private static Path existingTarget(Path out, Path target) throws IOException {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return target;
        }
        Path real = target;
        if (Files.isSymbolicLink(target)) {
            if (!Files.exists(target)) { // dangling: the file it names is created, as a shell's '>' would
                return danglingTarget(out, target);
            }
            try {
                real = target.toRealPath();
            } catch (IOException e) { // /dev/stdout: a link to a pipe, which has no path
                throw new NpyException(out, "cannot write: " + target + " is a link to "
                        + Files.readSymbolicLink(target) + ", not to a file", e);
            }
        }
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            throw new NpyException(out, "cannot write: " + real + " exists and is not a regular file");
        }
        if (!Files.isWritable(real)) {
            throw new NpyException(out, "cannot write: " + real + " is read-only");
        }
        return real;
    }

    /**
     * The missing file a dangling link names, its links followed as the kernel follows them (each
     * relative to its link's real directory), at most 40 (a loop is refused, as ELOOP).
     */
    private static Path danglingTarget(Path out, Path link) throws IOException {
        Path p = link;
        for (int hops = 0; Files.isSymbolicLink(p); hops++) {
            if (hops == 40) {
                throw new NpyException(out, "cannot write: too many levels of links from " + link);
            }
            p = p.toAbsolutePath().getParent().toRealPath().resolve(Files.readSymbolicLink(p));
        }
        return p;
    }

    private static Path createTempBeside(Path target) throws IOException {
        Path dir = target.getParent();
        if (dir == null || target.getFileName() == null) {
            throw new IOException("not a file name: " + target);
        }
        // '.' + name + ".tmp" + 16 hex digits within a file name's 255 bytes (UTF-8 on Linux):
        // the name cut to 200 bytes, at a character's start
        String name = target.getFileName().toString();
        while (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 200) {
            name = name.substring(0, name.offsetByCodePoints(name.length(), -1));
        }
        HexFormat hex = HexFormat.of();
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + name + ".tmp" + hex.toHexDigits(ThreadLocalRandom.current().nextLong()));
            try {
                return Files.createFile(tmp);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            }
        }
    }

    private static void keepPermissions(Path target, Path tmp) {
        try {
            PosixFileAttributeView old = Files.getFileAttributeView(target, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
            if (old == null || !Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            Set<PosixFilePermission> perms = old.readAttributes().permissions();
            Files.setPosixFilePermissions(tmp, perms);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // best effort: the new file keeps the default permissions
        }
    }

    /** Makes the rename durable where the platform allows opening a directory; best effort. */
    private static void syncDirectory(Path dir) {
        if (dir == null) {
            return;
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            // not supported everywhere; the data itself was already forced
        }
    }

    /** A short reason for an I/O failure, for example "no such file or directory". */
    static String describe(IOException e, Path named) {
        String reason = switch (e) {
            case NoSuchFileException x -> "no such file or directory";
            case AccessDeniedException x -> "permission denied";
            case FileAlreadyExistsException x -> "file already exists";
            case NotDirectoryException x -> "not a directory";
            case DirectoryNotEmptyException x -> "directory not empty";
            case AtomicMoveNotSupportedException x -> "cannot rename atomically";
            case FileSystemException x when x.getReason() != null -> x.getReason();
            default -> e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        };
        if (e instanceof FileSystemException fse && fse.getFile() != null) {
            // name the file only when it is not the one the message names already, nor our temporary file
            Path file = Path.of(fse.getFile()).toAbsolutePath();
            Path n = named.toAbsolutePath();
            boolean ours = file.equals(n) || (file.getParent() != null && file.getParent().equals(n.getParent())
                    && file.getFileName().toString().startsWith("." + n.getFileName() + ".tmp"));
            if (!ours) {
                return reason + " (" + file + ")";
            }
        }
        return reason;
    }
}
