/*
 * elu4j native helper: the library's names, apart from the calls (elu4j.c): its version, and the
 * names of ISA levels and statuses, static strings that callers may keep.
 */
#include "elu4j.h"

#define ELU4J_STR2(x) #x
#define ELU4J_STR(x) ELU4J_STR2(x)

int elu4j_version(void)
{
    return ELU4J_VERSION_NUMBER;
}

const char *elu4j_version_string(void)
{
    return ELU4J_STR(ELU4J_VERSION_MAJOR) "." ELU4J_STR(ELU4J_VERSION_MINOR) "." ELU4J_STR(
        ELU4J_VERSION_PATCH);
}

const char *elu4j_isa_name(int isa)
{
    switch (isa) {
    case ELU4J_ISA_PORTABLE:
        return "portable";
    case ELU4J_ISA_AVX2:
        return "avx2";
    case ELU4J_ISA_AVX512:
        return "avx512";
    default:
        return "unknown";
    }
}

const char *elu4j_status_name(int status)
{
    switch (status) {
    case ELU4J_OK:
        return "ELU4J_OK";
    case ELU4J_ERR_NULL_POINTER:
        return "ELU4J_ERR_NULL_POINTER";
    case ELU4J_ERR_INVALID_ARGUMENT:
        return "ELU4J_ERR_INVALID_ARGUMENT";
    case ELU4J_ERR_OVERLAP:
        return "ELU4J_ERR_OVERLAP";
    case ELU4J_ERR_UNSUPPORTED_ISA:
        return "ELU4J_ERR_UNSUPPORTED_ISA";
    default:
        return "unknown status";
    }
}
