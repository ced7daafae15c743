#!/usr/bin/env python3
"""Ratios between JMH cells of one run, with the spread of the forks behind them.

    python3 bench/tools/fork_ratios.py jmh-family.json jmh-relu-copy.json -- \
        'helper/selu/f32/fwd/65536 : helper/elu/f32/fwd/65536' \
        'helper/relu/65536 : segmentCopy/65536'

A cell is named by its benchmark class, method and parameters' values joined with '/'
('FamilyBenchmark/run/helper/elu/fwd/65536/f32': the parameters in name order); a name may give any
of these parts in any order, leaving the others out where one cell still matches
('helper/elu/f32/fwd', 'segmentCopy', 'ScalarEluBenchmark'). Each ratio 'A : B' is A's speed
over B's (B's time / A's time, so above 1 means A is faster), from the median of every iteration
of each cell, and in brackets from the forks' medians: A's slowest fork against B's fastest ..
A's fastest against B's slowest. Times must be in one unit (JMH avgt, -tu ns). Without ratios it
lists the cells: median and the forks' medians.
"""
import json
import statistics
import sys


def cells(paths):
    out = {}
    for path in paths:
        with open(path) as f:
            for e in json.load(f):
                p = e.get("params", {})
                cls, method = e["benchmark"].rsplit(".", 2)[1:]
                values = [cls, method] + [v for k, v in sorted(p.items())]
                forks = [f for f in e["primaryMetric"]["rawData"] if f]
                out[(e["benchmark"], tuple(values))] = (e["primaryMetric"]["scoreUnit"], forks)
    return out


def find(all_cells, name):
    want = name.strip().split("/")
    hits = [(k, v) for k, v in all_cells.items() if all(w in k[1] for w in want)]
    if len(hits) != 1:
        sys.exit(f"'{name}' matches {len(hits)} cells: " + ", ".join("/".join(k[1]) for k, _ in hits[:8]))
    return hits[0]


def main(argv):
    if "--" in argv:
        i = argv.index("--")
        paths, specs = argv[:i], argv[i + 1:]
    else:
        paths, specs = argv, []
    if not paths:
        sys.exit(__doc__)
    all_cells = cells(paths)
    if not specs:
        for (bench, values), (unit, forks) in sorted(all_cells.items(), key=lambda kv: kv[0][1]):
            flat = [x for f in forks for x in f]
            meds = [statistics.median(f) for f in forks]
            print(f"{'/'.join(values)}: median {statistics.median(flat):.0f} {unit}, forks {min(meds):.0f}-{max(meds):.0f}")
        return
    for spec in specs:
        a_name, b_name = spec.split(":")
        (_, _), (ua, fa) = find(all_cells, a_name)
        (_, _), (ub, fb) = find(all_cells, b_name)
        if ua != ub:
            sys.exit(f"{spec}: units differ ({ua}, {ub})")
        ma = statistics.median([x for f in fa for x in f])
        mb = statistics.median([x for f in fb for x in f])
        fa_m = [statistics.median(f) for f in fa]
        fb_m = [statistics.median(f) for f in fb]
        print(f"{a_name.strip()} : {b_name.strip()}: {mb / ma:.2f}x "
              f"[{min(fb_m) / max(fa_m):.2f}-{max(fb_m) / min(fa_m):.2f}]")


if __name__ == "__main__":
    main(sys.argv[1:])
