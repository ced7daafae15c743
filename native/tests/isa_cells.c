/*
 * elu4j native tests: whether the cells of one ISA level ran. Every test program runs its checks
 * at each level the CPU supports and passes over the others (printing so, which ctest shows only
 * on failure); this program turns that into a ctest line of its own: it passes where the level
 * runs here, and exits 77 (ctest: "Skipped") where the CPU lacks it, so the ctest summary names
 * the levels whose cells no test ran on this machine.
 *
 *   isa_cells portable|avx2|avx512
 */
#include "test_util.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: isa_cells portable|avx2|avx512\n");
        return EXIT_FAILURE;
    }
    const int levels[] = {ELU4J_ISA_PORTABLE, ELU4J_ISA_AVX2, ELU4J_ISA_AVX512};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        if (strcmp(argv[1], elu4j_isa_name(levels[i])) == 0) {
            if (elu4j_isa_supported(levels[i])) {
                printf("isa %s: supported here: every test ran its cells\n", argv[1]);
                return EXIT_SUCCESS;
            }
            printf("isa %s: not supported by this CPU: every test skipped its cells\n", argv[1]);
            return 77;
        }
    }
    fprintf(stderr, "isa_cells: unknown level %s\n", argv[1]);
    return EXIT_FAILURE;
}
