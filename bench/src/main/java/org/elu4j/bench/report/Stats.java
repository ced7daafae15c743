package org.elu4j.bench.report;

import java.util.List;

/** The statistics the reports share. */
public final class Stats {
    private Stats() {
    }

    /** The median (the mean of the middle two for an even count), or NaN for no values. */
    public static double median(List<Double> values) {
        List<Double> v = values.stream().sorted().toList();
        if (v.isEmpty()) {
            return Double.NaN;
        }
        return v.size() % 2 == 1 ? v.get(v.size() / 2) : (v.get(v.size() / 2 - 1) + v.get(v.size() / 2)) / 2;
    }
}
