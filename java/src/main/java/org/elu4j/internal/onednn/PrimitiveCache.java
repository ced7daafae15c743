package org.elu4j.internal.onednn;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import org.elu4j.DataType;
import org.elu4j.internal.onednn.EltwisePlan.Alg;
import org.elu4j.internal.onednn.EltwisePlan.Step;

/**
 * The oneDNN backend's primitives: created on first use for a (step, type, count), shared by
 * every thread, bounded ({@link #CAPACITY}, least recently used first), reference-counted by the
 * thread contexts that pin them (an evicted primitive that is still pinned is closed by its
 * last user). Every method that touches the map holds its lock.
 */
final class PrimitiveCache {
    /** Most primitives kept; beyond it the least recently used unpinned one is closed. */
    static final int CAPACITY = 64;

    private final Engine engine;
    private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);

    PrimitiveCache(Engine engine) {
        this.engine = engine;
    }

    /** What a cached primitive computes: the step (algorithm, propagation, alpha), data type and size. */
    record Key(Step step, DataType type, long count) {
    }

    /**
     * A cached primitive with a count of its users (the thread contexts that pin it), guarded by
     * the lock of {@link #entries}.
     */
    static final class Entry {
        final Primitive primitive;
        final Key key;
        /** True for the f32 forward eltwise_elu primitives of the backend's f32 ELU fast path. */
        final boolean f32Elu;
        /** The alpha bits (all steps), compared by the fast path. */
        final int alphaBits;
        final long count;
        int users;
        /** Out of the cache: the last user closes it. Read without the lock by pinning threads. */
        volatile boolean evicted;

        Entry(Primitive primitive, Key key) {
            this.primitive = primitive;
            this.key = key;
            this.f32Elu = key.step().alg() == Alg.FWD_ELU && key.type() == DataType.F32;
            this.alphaBits = Float.floatToIntBits(key.step().alpha());
            this.count = key.count();
        }
    }

    /** The cached primitive for the key, with one more user (created if needed). */
    Entry acquire(Key key) {
        synchronized (entries) {
            Entry e = entries.get(key);
            if (e == null) {
                e = new Entry(Primitive.eltwise(engine, key.step(), key.type(), key.count()), key);
                entries.put(key, e);
                e.users++; // before evicting: the new one must not be the victim
                if (entries.size() > CAPACITY) {
                    try {
                        evictOne();
                    } catch (RuntimeException closeFailed) {
                        // The victim is out of the cache either way; the new entry is in it, with
                        // this user: the caller must have it, or it would never be released.
                        System.getLogger("org.elu4j").log(System.Logger.Level.WARNING,
                                "elu4j: closing an evicted oneDNN primitive failed", closeFailed);
                    }
                }
                return e;
            }
            e.users++;
            return e;
        }
    }

    /**
     * Evicts the least recently used primitive that no thread pins, or the least recently used
     * one if every one is pinned (its last user closes it). Called with the lock held.
     */
    private void evictOne() {
        Iterator<Entry> it = entries.values().iterator();
        Entry victim = null;
        while (it.hasNext()) {
            Entry e = it.next();
            if (e.users == 0) {
                victim = e;
                it.remove();
                break;
            }
        }
        if (victim == null) {
            it = entries.values().iterator();
            victim = it.next();
            it.remove();
        }
        victim.evicted = true;
        if (victim.users == 0) {
            victim.primitive.close();
        }
    }

    /** One user fewer; the last user of an evicted primitive closes it. */
    void release(Entry e) {
        synchronized (entries) {
            if (--e.users == 0 && e.evicted) {
                e.primitive.close();
            }
        }
    }

    /** How many primitives the cache holds (for tests). */
    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    /** The keys of the cached primitives, as text (for tests). */
    List<String> keys() {
        synchronized (entries) {
            return entries.keySet().stream().map(String::valueOf).toList();
        }
    }

    /** Closes every cached primitive (the backend is closing and no call is running). */
    void closeAll() {
        synchronized (entries) {
            DnnlHandle.closeAll(entries.values().stream().map(e -> e.primitive).toArray(DnnlHandle[]::new));
            entries.clear();
        }
    }
}
