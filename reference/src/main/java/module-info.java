/**
 * The high-precision reference of the ELU family: exact values in {@link java.math.BigDecimal}
 * and correctly rounded float, bfloat16 and float16 results. The library's tests and the
 * accuracy command of the command line measure every backend against it; it depends on nothing
 * and shares no code with the library.
 */
module org.elu4j.reference {
    exports org.elu4j.reference;
}
