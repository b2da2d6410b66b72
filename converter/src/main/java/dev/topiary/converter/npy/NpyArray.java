package dev.topiary.converter.npy;

import dev.topiary.Tensor;
import java.util.Optional;

/**
 * A {@code .npy} file read into a tensor.
 *
 * @param tensor the values, little-endian, in C order
 * @param descr the dtype string the file declared, e.g. {@code "<f8"}
 * @param version the file's format version, {@code "1.0"}, {@code "2.0"} or {@code "3.0"}
 * @param note what changed on the way in when the values were converted (e.g. float64 narrowed to
 *     FLOAT32); empty when the values were taken as stored
 */
public record NpyArray(Tensor tensor, String descr, String version, Optional<String> note) {}
