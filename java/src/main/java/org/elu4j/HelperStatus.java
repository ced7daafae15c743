package org.elu4j;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The C helper library's instruction set levels on this machine (see {@link Elu4j#helper()}).
 * Levels are named as the helper names them: {@code portable}, {@code avx2}, {@code avx512}. The
 * level can be pinned with {@code -Delu4j.helper.isa=<level>} or {@code ELU4J_HELPER_ISA=<level>};
 * {@link Elu#onHelperIsa(String)} runs one function object on a given level.
 *
 * @param active              the level the helper's calls run on: the pinned one, else the best
 *                            this CPU supports
 * @param supported           every level this CPU supports, most portable first
 * @param pinnedBy            the setting that pinned the level (e.g. {@code -Delu4j.helper.isa=avx2}),
 *                            or empty when the helper runs on its best level
 * @param parallelMinElements the element count from which a call in parallel mode
 *                            ({@link Elu#parallel()}) runs on several threads; smaller calls run
 *                            serially
 */
public record HelperStatus(String active, List<String> supported, Optional<String> pinnedBy, long parallelMinElements) {
    /**
     * Checks the components and copies the list.
     *
     * @param active              the level calls run on
     * @param supported           every level this CPU supports
     * @param pinnedBy            what pinned the level, or empty
     * @param parallelMinElements the parallel threshold in elements
     * @throws NullPointerException if a component is null
     */
    public HelperStatus {
        Objects.requireNonNull(active, "active");
        supported = List.copyOf(supported);
        Objects.requireNonNull(pinnedBy, "pinnedBy");
    }
}
