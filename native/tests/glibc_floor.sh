#!/usr/bin/env bash
# Fails when a shared library needs a newer glibc than the floor, naming the symbols that do.
#
#   native/tests/glibc_floor.sh LIBRARY [FLOOR]      FLOOR: default 2.17 (RHEL/CentOS 7)
#
# Reads the library's version references (objdump -p: every GLIBC_x.y[.z] node it needs, from
# libc.so.6, libm.so.6, libpthread.so.0, ...) and its undefined dynamic symbols with their versions
# (objdump -T). GLIBC_PRIVATE is never allowed. Prints the highest version and the symbols that
# ask for it; exits 1 if it is above FLOOR, 2 on a usage error or when objdump is missing.
# Run by ctest (glibc_floor, on the libelu4j.so.0 of each build) and by .ci/native-checks glibc
# (on the library inside the built jar). See docs/architecture.md, "The C helper's glibc floor".
set -euo pipefail

lib="${1:?usage: glibc_floor.sh LIBRARY [FLOOR]}"
floor="${2:-2.17}"
[[ -f "$lib" ]] || { echo "glibc_floor: no such file: $lib" >&2; exit 2; }
command -v objdump >/dev/null || { echo "glibc_floor: objdump (binutils) is missing" >&2; exit 2; }

# ver_gt A B: true if version A (dotted numbers) is greater than B.
ver_gt() {
    [[ "$1" != "$2" && "$(printf '%s\n%s\n' "$1" "$2" | sort -t. -k1,1n -k2,2n -k3,3n | tail -n1)" == "$1" ]]
}

# Version nodes the library needs (objdump -p, "Version References"), e.g. "GLIBC_2.17".
mapfile -t needed < <(objdump -p "$lib" | awk '/^Version References:/ { on = 1; next }
    on && /^[^ ]/ { on = 0 } on && $NF ~ /^GLIBC_/ { print $NF }' | sort -u)
# Undefined symbols with a GLIBC version, as "VERSION SYMBOL" (binutils >= 2.35 prints the
# version of an undefined symbol in parentheses, older ones without).
mapfile -t symbols < <(objdump -T "$lib" | awk '/\*UND\*/ { for (i = 1; i < NF; i++) {
    v = $i; gsub(/[()]/, "", v); if (v ~ /^GLIBC_/) { print v, $NF; break } } }' | sort -u)

if [[ ${#needed[@]} -eq 0 ]]; then
    echo "glibc_floor: $lib needs no GLIBC_ version (not linked against glibc?)"
    exit 0
fi

max="" bad=0
for v in "${needed[@]}"; do
    if [[ "$v" == GLIBC_PRIVATE ]]; then
        echo "glibc_floor: $lib needs GLIBC_PRIVATE (glibc's internal ABI, any other glibc breaks it):" >&2
        printf '%s\n' "${symbols[@]}" | sed -n 's/^GLIBC_PRIVATE \(.*\)/  \1@GLIBC_PRIVATE/p' >&2
        bad=1
        continue
    fi
    n="${v#GLIBC_}"
    if [[ -z "$max" ]] || ver_gt "$n" "$max"; then max="$n"; fi
done

at_max=()
for s in "${symbols[@]}"; do
    [[ "${s%% *}" == "GLIBC_$max" ]] && at_max+=("${s#* }@${s%% *}")
done
if ver_gt "$max" "$floor"; then
    echo "glibc_floor: FAILED: $lib needs glibc $max, above the floor $floor; the symbols above $floor:" >&2
    for s in "${symbols[@]}"; do
        v="${s%% *}"
        ver_gt "${v#GLIBC_}" "$floor" && echo "  ${s#* }@$v" >&2
    done
    echo "  (bind them to an older version in native/src/elu4j_glibc_compat.h, or avoid them)" >&2
    exit 1
fi
[[ $bad -eq 0 ]] || exit 1
echo "glibc_floor: $lib needs glibc $max (floor $floor): set by ${at_max[*]:-no symbol}"
