/*
 * half_conv_check's entry (see half_conv_check.c): built without ISA flags, so that nothing runs
 * an AVX-512 instruction before the CPU has been asked. Exits 77 (ctest: skipped) where the CPU
 * lacks AVX-512 F/BW/VL or F16C.
 */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

#include "half_conv_check.h"

/* CPUID leaf 1, ECX bit 29 (Clang before 16 has no "f16c" for __builtin_cpu_supports) */
static int has_f16c(void)
{
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) != 0;
}

int main(int argc, char **argv)
{
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
        !__builtin_cpu_supports("avx512vl") || !has_f16c()) {
        printf("half_conv_check: no AVX-512 F/BW/VL and F16C here: skipped\n");
        return 77;
    }
    const int all = argc > 1 && strcmp(argv[1], "--all") == 0;
    return half_conv_check_run(all, __builtin_cpu_supports("avx512bf16"));
}
