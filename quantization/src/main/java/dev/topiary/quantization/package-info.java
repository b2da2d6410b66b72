/**
 * Numeric formats for compressed models: IEEE half precision and affine quantization parameters
 * ({@code real = scale × (q − zero_point)}). Dependency-free and Android API 26 compatible.
 */
package dev.topiary.quantization;
