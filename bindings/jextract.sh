#!/usr/bin/env bash
# Regenerates the committed FFM bindings under bindings/src/main/java with jextract.
#
#   bindings/jextract.sh            # from any directory
#   JEXTRACT=/path/to/jextract DNNL_INCLUDE=/path/to/include bindings/jextract.sh
#
# Needs a jextract for JDK 25 (`jextract` on PATH, or JEXTRACT=/path/to/jextract); see README.md for
# how to get one. jextract itself is never committed.
#
# DNNL_INCLUDE: the oneDNN 3.13 include directory (the one holding oneapi/dnnl/dnnl.h). Default: where
# the Maven build unpacks the bytedeco dnnl jar, java/target/dnnl/org/bytedeco/dnnl/linux-x86_64/include
# under the repository root. If that default is missing, the headers are unzipped from the jar in
# ~/.m2 (DNNL_JAR overrides its path) into a temporary directory.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BINDINGS="$ROOT/bindings"
SRC="$BINDINGS/src/main/java"

# --- jextract ---------------------------------------------------------------------------------------
if [[ -n "${JEXTRACT:-}" ]]; then
    if [[ ! -x "$JEXTRACT" ]] && ! command -v "$JEXTRACT" >/dev/null 2>&1; then
        echo "error: JEXTRACT=$JEXTRACT is not an executable" >&2
        exit 1
    fi
elif command -v jextract >/dev/null 2>&1; then
    JEXTRACT="$(command -v jextract)"
else
    echo "error: jextract not found. Put a jextract for JDK 25 on PATH or set JEXTRACT=/path/to/jextract" >&2
    echo "       (bindings/README.md explains how to build one; it is not part of this repository)." >&2
    exit 1
fi
echo "Using $("$JEXTRACT" --version 2>&1 | head -n 1) ($JEXTRACT)"

# --- oneDNN headers ---------------------------------------------------------------------------------
DNNL_DEFAULT="$ROOT/java/target/dnnl/org/bytedeco/dnnl/linux-x86_64/include"
TMP=""
cleanup() { if [[ -n "$TMP" ]]; then rm -rf "$TMP"; fi; }
trap cleanup EXIT
if [[ -n "${DNNL_INCLUDE:-}" ]]; then
    DNNL_INC="$DNNL_INCLUDE"
elif [[ -d "$DNNL_DEFAULT" ]]; then
    DNNL_INC="$DNNL_DEFAULT"
else
    DNNL_JAR="${DNNL_JAR:-$HOME/.m2/repository/org/bytedeco/dnnl/3.13-1.5.14/dnnl-3.13-1.5.14-linux-x86_64.jar}"
    if [[ ! -f "$DNNL_JAR" ]]; then
        echo "error: no oneDNN headers: $DNNL_DEFAULT is missing and so is $DNNL_JAR." >&2
        echo "       Set DNNL_INCLUDE to the directory holding oneapi/dnnl/dnnl.h, or build the java module first." >&2
        exit 1
    fi
    TMP="$(mktemp -d)"
    unzip -q "$DNNL_JAR" 'org/bytedeco/dnnl/linux-x86_64/include/*' -d "$TMP"
    DNNL_INC="$TMP/org/bytedeco/dnnl/linux-x86_64/include"
fi
if [[ ! -f "$DNNL_INC/oneapi/dnnl/dnnl.h" ]]; then
    echo "error: $DNNL_INC/oneapi/dnnl/dnnl.h not found (DNNL_INCLUDE must be the oneDNN include dir)" >&2
    exit 1
fi
DNNL_INC="$(cd "$DNNL_INC" && pwd)"
echo "oneDNN headers: $DNNL_INC"

ELU4J_INC="$ROOT/native/include"

# --- generate ---------------------------------------------------------------------------------------
DNNL_OUT="$SRC/org/elu4j/internal/onednn/ffi"
HELPER_OUT="$SRC/org/elu4j/internal/helper/ffi"
rm -rf "$DNNL_OUT" "$HELPER_OUT"

# oneDNN: the allowlist is bindings/dnnl.includes. jextract looks the library up by soname (libdnnl.so.3;
# replaced below by the lookup of the file elu4j loaded by absolute path).
"$JEXTRACT" \
    --output "$SRC" \
    --target-package org.elu4j.internal.onednn.ffi \
    --header-class-name Dnnl \
    --library :libdnnl.so.3 \
    -I "$DNNL_INC" \
    @"$BINDINGS/dnnl.includes" \
    "$DNNL_INC/oneapi/dnnl/dnnl.h"

# elu4j helper: the allowlist is bindings/elu4j.includes; looked up by soname libelu4j.so.0.
"$JEXTRACT" \
    --output "$SRC" \
    --target-package org.elu4j.internal.helper.ffi \
    --header-class-name Elu4jNative \
    --library :libelu4j.so.0 \
    -I "$ELU4J_INC" \
    @"$BINDINGS/elu4j.includes" \
    "$ELU4J_INC/elu4j.h"

# --- one lookup: the file elu4j loaded and checked -------------------------------------------------
# jextract binds by soname (libraryLookup("libdnnl.so.3")), which finds whichever copy of that name
# the process loaded first (JavaCPP's own oneDNN, say), not necessarily the file elu4j loaded and
# checked: the bindings take elu4j's lookup of that file (NativeLibraries) instead.
perl -0pi -e 's/SymbolLookup\.libraryLookup\("libdnnl\.so\.3", LIBRARY_ARENA\)\s*\.or\(SymbolLookup\.loaderLookup\(\)\)\s*\.or\(Linker\.nativeLinker\(\)\.defaultLookup\(\)\);/org.elu4j.internal.NativeLibraries.dnnl().get().lookup();/' "$DNNL_OUT/Dnnl.java"
perl -0pi -e 's/SymbolLookup\.libraryLookup\("libelu4j\.so\.0", LIBRARY_ARENA\)\s*\.or\(SymbolLookup\.loaderLookup\(\)\)\s*\.or\(Linker\.nativeLinker\(\)\.defaultLookup\(\)\);/org.elu4j.internal.NativeLibraries.helper().get().lookup();/' "$HELPER_OUT/Elu4jNative.java"
grep -q 'NativeLibraries.dnnl().get().lookup()' "$DNNL_OUT/Dnnl.java" \
    && grep -q 'NativeLibraries.helper().get().lookup()' "$HELPER_OUT/Elu4jNative.java" \
    || { echo "error: jextract's SYMBOL_LOOKUP lines changed shape; update the perl lines above" >&2; exit 1; }

# --- mark as generated ------------------------------------------------------------------------------
# jextract starts every file with "// Generated by jextract"; make sure of it, and add the warning.
NOTE="// Do not edit: regenerate with bindings/jextract.sh (allowlists in bindings/*.includes)."
find "$DNNL_OUT" "$HELPER_OUT" -name '*.java' -print0 | sort -z | while IFS= read -r -d '' f; do
    if ! head -n 1 "$f" | grep -q '^// Generated by jextract'; then
        { echo '// Generated by jextract'; echo "$NOTE"; cat "$f"; } > "$f.tmp" && mv "$f.tmp" "$f"
    else
        { head -n 1 "$f"; echo "$NOTE"; tail -n +2 "$f"; } > "$f.tmp" && mv "$f.tmp" "$f"
    fi
done

echo "Generated:"
(cd "$SRC" && find org/elu4j/internal/onednn/ffi org/elu4j/internal/helper/ffi -name '*.java' | sort | sed 's/^/  /')
