package org.elu4j.internal.onednn;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static org.elu4j.internal.onednn.DnnlStatus.check;
import static org.elu4j.internal.onednn.ffi.Dnnl.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import org.elu4j.DataType;
import org.elu4j.internal.onednn.EltwisePlan.Alg;
import org.elu4j.internal.onednn.EltwisePlan.Step;

/**
 * The oneDNN backend's primitives: created on first use for a (step, type, count), shared by
 * every thread, bounded ({@link #CAPACITY}, least recently used first), reference-counted by the
 * thread contexts that pin them (an evicted primitive that is still pinned is destroyed by its
 * last user). Also the primitive-descriptor and memory-descriptor helpers that creating one and
 * probing need. Every method that touches the map holds its lock.
 */
final class PrimitiveCache {
    /** Most primitives kept; beyond it the least recently used unpinned one is destroyed. */
    static final int CAPACITY = 64;

    private final MemorySegment engine;
    private final LinkedHashMap<Key, Primitive> primitives = new LinkedHashMap<>(16, 0.75f, true);

    PrimitiveCache(MemorySegment engine) {
        this.engine = engine;
    }

    /** What a cached primitive computes: the step (algorithm, propagation, alpha), data type and size. */
    record Key(Step step, DataType type, long count) {
    }

    /**
     * A cached primitive with a count of its users (the thread contexts that pin it), guarded by
     * the lock of {@link #primitives}.
     */
    static final class Primitive {
        final MemorySegment handle;
        final Key key;
        /** True for the f32 forward eltwise_elu primitives of the backend's f32 ELU fast path. */
        final boolean f32Elu;
        /** The alpha bits (all steps), compared by the fast path. */
        final int alphaBits;
        final long count;
        int users;
        /** Out of the cache: the last user destroys it. Read without the lock by pinning threads. */
        volatile boolean evicted;

        Primitive(MemorySegment handle, Key key) {
            this.handle = handle;
            this.key = key;
            this.f32Elu = key.step().alg() == Alg.FWD_ELU && key.type() == DataType.F32;
            this.alphaBits = Float.floatToIntBits(key.step().alpha());
            this.count = key.count();
        }
    }

    /** The cached primitive for the key, with one more user (created if needed). */
    Primitive acquire(Key key) {
        synchronized (primitives) {
            Primitive p = primitives.get(key);
            if (p == null) {
                p = new Primitive(createPrimitive(key.step(), key.type(), key.count()), key);
                primitives.put(key, p);
                p.users++; // before evicting: the new one must not be the victim
                if (primitives.size() > CAPACITY) {
                    evictOne();
                }
                return p;
            }
            p.users++;
            return p;
        }
    }

    /**
     * Evicts the least recently used primitive that no thread pins, or the least recently used
     * one if every one is pinned (its last user destroys it). Called with the lock held.
     */
    private void evictOne() {
        Iterator<Primitive> it = primitives.values().iterator();
        Primitive victim = null;
        while (it.hasNext()) {
            Primitive p = it.next();
            if (p.users == 0) {
                victim = p;
                it.remove();
                break;
            }
        }
        if (victim == null) {
            it = primitives.values().iterator();
            victim = it.next();
            it.remove();
        }
        victim.evicted = true;
        if (victim.users == 0) {
            destroyPrimitive(victim);
        }
    }

    void release(Primitive p) {
        synchronized (primitives) {
            if (--p.users == 0 && p.evicted) {
                destroyPrimitive(p);
            }
        }
    }

    private MemorySegment createPrimitive(Step step, DataType type, long n) {
        try (Arena arena = Arena.ofConfined(); PrimitiveDescs pds = primitiveDescs(arena, step, type, n)) {
            check(pds.status(), pds.call());
            MemorySegment primPtr = arena.allocate(dnnl_primitive_t);
            check(dnnl_primitive_create(primPtr, pds.pd()), "dnnl_primitive_create");
            return primPtr.get(dnnl_primitive_t, 0);
        }
    }

    /**
     * The owned primitive descriptor of a step (and, for a backward step, its forward hint), or
     * the failed call and its status (then both are null). Use it in try-with-resources: closing
     * destroys what was created, once, and a failing destroy throws naming the call.
     */
    record PrimitiveDescs(MemorySegment pd, MemorySegment hint, int status, String call) implements AutoCloseable {
        @Override
        public void close() {
            try {
                if (pd != null) {
                    check(dnnl_primitive_desc_destroy(pd), "dnnl_primitive_desc_destroy");
                }
            } finally {
                if (hint != null) {
                    check(dnnl_primitive_desc_destroy(hint), "dnnl_primitive_desc_destroy");
                }
            }
        }
    }

    PrimitiveDescs primitiveDescs(Arena arena, Step step, DataType type, long n) {
        try (MemoryDesc desc = MemoryDesc.of(type, n)) {
            MemorySegment md = desc.handle();
            Alg alg = step.alg();
            MemorySegment pdPtr = arena.allocate(dnnl_primitive_desc_t);
            // A backward primitive needs the forward primitive descriptor of training as a hint.
            int status = dnnl_eltwise_forward_primitive_desc_create(pdPtr, engine,
                    alg.backward ? dnnl_forward_training() : dnnl_forward_inference(), alg.dnnl(), md, md,
                    step.alpha(), 0f, MemorySegment.NULL);
            if (status != dnnl_success()) {
                return new PrimitiveDescs(null, null, status, "dnnl_eltwise_forward_primitive_desc_create");
            }
            MemorySegment fwd = pdPtr.get(dnnl_primitive_desc_t, 0);
            if (!alg.backward) {
                return new PrimitiveDescs(fwd, null, status, null);
            }
            status = dnnl_eltwise_backward_primitive_desc_create(pdPtr, engine, alg.dnnl(), md, md, md, step.alpha(),
                    0f, fwd, MemorySegment.NULL);
            if (status != dnnl_success()) {
                check(dnnl_primitive_desc_destroy(fwd), "dnnl_primitive_desc_destroy");
                return new PrimitiveDescs(null, null, status, "dnnl_eltwise_backward_primitive_desc_create");
            }
            return new PrimitiveDescs(pdPtr.get(dnnl_primitive_desc_t, 0), fwd, status, null);
        }
    }

    /** How many primitives the cache holds (for tests). */
    int size() {
        synchronized (primitives) {
            return primitives.size();
        }
    }

    /** The keys of the cached primitives, as text (for tests). */
    List<String> keys() {
        synchronized (primitives) {
            return primitives.keySet().stream().map(String::valueOf).toList();
        }
    }

    /** Destroys every cached primitive (the backend is closing and no call is running). */
    void destroyAll() {
        synchronized (primitives) {
            primitives.values().forEach(PrimitiveCache::destroyPrimitive);
            primitives.clear();
        }
    }

    private static void destroyPrimitive(Primitive p) {
        check(dnnl_primitive_destroy(p.handle), "dnnl_primitive_destroy");
    }



    static String implementation(Arena arena, MemorySegment pd) {
        MemorySegment str = arena.allocate(ADDRESS);
        check(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str(), 0, str), "dnnl_primitive_desc_query");
        return str.get(ADDRESS, 0).reinterpret(256).getString(0);
    }
}
