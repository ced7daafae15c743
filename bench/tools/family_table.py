#!/usr/bin/env python3
"""FamilyBenchmark's JMH JSON files (one per backend, -rf json) as docs/benchmarks.md's table.

    python3 bench/tools/family_table.py helper.json vector.json onednn.json javacpp.json > table.md

Elements per ns (size / score) with JMH's interval as a percentage of the score; the ratios are
helper / elu4j onednn and helper / JavaCPP, from the same files. A cell a backend did not run
(its set-up printed SKIP) is "—".
"""
import json
import sys

COLUMNS = [("helper", "helper"), ("vector", "vector"), ("onednn", "elu4j onednn"),
           ("javacpp", "oneDNN via JavaCPP")]
TYPES = ["f32", "bf16", "f16", "f64"]
PASSES = ["fwd", "bwd-in", "bwd-out"]


def load(paths):
    cells = {}
    for path in paths:
        with open(path) as f:
            for e in json.load(f):
                p = e["params"]
                m = e["primaryMetric"]
                if m["scoreUnit"] != "ns/op":
                    sys.exit(f"{path}: {e['benchmark']} is in {m['scoreUnit']}, not ns/op (run with -bm avgt -tu ns)")
                if not all(k in p for k in ("function", "type", "pass", "size", "backend")):
                    continue  # another benchmark's entry in the same file
                key = (p["function"], p["type"], p["pass"], p["size"], p["backend"])
                # JMH writes an error it could not compute (one iteration) as the string "NaN".
                cells[key] = (int(p["size"]) / float(m["score"]), float(m["scoreError"]) / float(m["score"]))
    return cells


def main(paths):
    cells = load(paths)
    rows = sorted({k[:4] for k in cells},
                  key=lambda r: (r[0], int(r[3]), TYPES.index(r[1]), PASSES.index(r[2])))
    sizes = {r[3] for r in rows}
    head = ["function", "type", "pass"] + (["size"] if len(sizes) > 1 else [])
    head += [name for _, name in COLUMNS] + ["helper / elu4j onednn", "helper / JavaCPP"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * 3 + ("---:|" * (len(head) - 3)))
    for r in rows:
        out = list(r[:3]) + ([r[3]] if len(sizes) > 1 else [])
        for backend, _ in COLUMNS:
            c = cells.get(r + (backend,))
            out.append(f"{c[0]:.2f} ±{c[1] * 100:.0f}%" if c else "—")
        h = cells.get(r + ("helper",))
        for peer in ("onednn", "javacpp"):
            c = cells.get(r + (peer,))
            out.append(f"{h[0] / c[0]:.2f}×" if h and c else "—")
        print("| " + " | ".join(out) + " |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
