/**
 * NumPy {@code .npy} files in and out of {@link dev.topiary.Tensor}: the CLI's tensor format.
 *
 * <p>{@link dev.topiary.converter.npy.Npy} reads format versions 1.0, 2.0 and 3.0 and writes 1.0
 * (2.0 when a header would not fit 1.0), following NEP 1 ("A simple file format for NumPy arrays").
 * The header dict is parsed by a small Python-literal parser, never evaluated.
 */
package dev.topiary.converter.npy;
