/**
 * Calibration observers: they watch the values a float tensor takes over a calibration set and
 * choose the clipping range {@code [min, max]} its int8 quantization should cover.
 *
 * <ul>
 *   <li>{@link MinMaxObserver}: the smallest and largest value seen.
 *   <li>{@link PercentileObserver}: the {@code (100 − p)}-th and {@code p}-th percentiles (default
 *       p = 99.99), which ignores the rarest outliers.
 *   <li>{@link MseObserver}: the range, among candidates shrunk from the min-max range, whose int8
 *       quantization has the smallest expected squared error over the observed distribution.
 * </ul>
 *
 * <p>{@link Histogram} holds the distribution the last two need in fixed memory. {@link
 * Ranges#int8Asymmetric} turns a range into TFLite-style asymmetric int8 parameters. Java 11, no
 * dependencies, Android-compatible.
 */
package dev.topiary.quantization.calibration;
