/*
 * elu4j native helper: the family kernels (elu_family_impl.h) built for the avx2 ISA level.
 * CMake gives this file alone the ISA's compiler flags; the dispatcher calls it only after
 * checking the CPU.
 */
#define ELU4J_FAM_SUFFIX _avx2
#include "elu_family_impl.h"
