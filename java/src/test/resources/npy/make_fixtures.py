# Regenerates the .npy fixtures of org.elu4j.cli.npy's tests with real NumPy.
# Run from this folder:  /usr/bin/python3 make_fixtures.py   (Debian's python3-numpy, 1.24.2)
# See README.md for what each file holds.
import hashlib
import io
import warnings

import numpy as np
from numpy.lib import format as npf


def save(name, a):
    np.save(name, a, allow_pickle=False)


def write_version(name, a, version):
    with open(name, "wb") as f:
        npf.write_array(f, a, version=version, allow_pickle=False)


base = np.arange(6, dtype="<f4").reshape(2, 3) - 2.5

save("f4_2x3.npy", base)
save("f4_scalar.npy", np.array(3.25, dtype="<f4"))
save("f4_empty.npy", np.zeros((0,), dtype="<f4"))
save("f4_2x0x3.npy", np.zeros((2, 0, 3), dtype="<f4"))
save("f4_1000.npy", np.arange(1000, dtype="<f4") / 8)
save("f4_special.npy", np.array(
    [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 3.4028235e38, -1.0], dtype="<f4"))
write_version("f4_v2.npy", base, (2, 0))
write_version("f4_v3.npy", base, (3, 0))
save("f4_big_endian.npy", base.astype(">f4"))
save("f8_2x3.npy", base.astype("<f8"))
save("f4_fortran.npy", np.asfortranarray(base))
save("i4_2x3.npy", np.arange(6, dtype="<i4").reshape(2, 3))

with open("f4_2x3.npy", "rb") as f:
    full = f.read()
with open("f4_truncated.npy", "wb") as f:
    f.write(full[:-4])          # last element cut off: 20 of 24 data bytes
with open("f4_trailing.npy", "wb") as f:
    f.write(full + b"\0\0\0\0")  # 4 extra bytes after the 24 data bytes

# Exact header bytes NumPy writes for a shape, for shapes too big to save as arrays.
# One line per case: fortran<TAB>shape (comma-separated, or 1*N for N ones)<TAB>version-or-auto<TAB>total-length<TAB>sha256<TAB>hex
# (hex left empty when the header is longer than 1024 bytes).
cases = [
    (False, (), None),
    (False, (0,), None),
    (False, (5,), None),
    (False, (2, 3), None),
    (False, (2, 0, 3), None),
    (False, (1, 2, 3, 4, 5, 6, 7, 8), None),
    (False, (123456789012, 7), None),
    (False, (2305843009213693951,), None),        # the most float32 elements a long byte count allows
    (False, (10, 230584300921369395), None),
    (False, (1,) * 32, None),
    (False, (1,) * 64, None),
    (False, (2, 1000000000000000000), None),
    (True, (2, 3), None),
    (True, (12345, 6), None),
    (True, (), None),
    (False, (2, 3), (1, 0)),
    (False, (2, 3), (2, 0)),
    (False, (2, 3), (3, 0)),
    (False, (), (2, 0)),
    (False, (7,), (3, 0)),
    (False, (1,) * 22000, None),   # too long for version 1.0: NumPy switches to 2.0
]
lines = []
for fortran, shape, version in cases:
    d = {"descr": "<f4", "fortran_order": fortran, "shape": shape}
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        npf._write_array_header(buf, d, version)
    h = buf.getvalue()
    if len(shape) > 8 and set(shape) == {1}:
        shape_text = "1*%d" % len(shape)   # len(shape) ones
    else:
        shape_text = ",".join(str(x) for x in shape)
    ver = "auto" if version is None else "%d.%d" % version
    lines.append("\t".join([str(fortran), shape_text, ver, str(len(h)),
                            hashlib.sha256(h).hexdigest(),
                            h.hex() if len(h) <= 1024 else ""]))
with open("headers.tsv", "w") as f:
    f.write("\n".join(lines) + "\n")
