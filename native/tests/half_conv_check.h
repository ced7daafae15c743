/* half_conv_check's two halves: main (half_conv_check_main.c, no ISA flags) checks the CPU and
 * calls the AVX-512 body (half_conv_check.c, built with the AVX-512 level's flags). */
#ifndef ELU4J_HALF_CONV_CHECK_H
#define ELU4J_HALF_CONV_CHECK_H

/* Runs every check; all: every float bit pattern; ne: the CPU has AVX512_BF16. Returns the exit
 * status (0: every lane as the portable conversions). Call only where the CPU has AVX-512
 * F/BW/VL and F16C. */
int half_conv_check_run(int all, int ne);

#endif
