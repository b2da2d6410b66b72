/**
 * Model size profiling: where an artifact's bytes, multiply-accumulates, milliseconds and arena bytes
 * go ({@link Profiler} builds a {@link ModelProfile} per model), the before/after matching of two
 * models' layers ({@link LayerMatch}) and the self-contained HTML report ({@link HtmlReport}). The
 * {@code topiary profile} command prints them as a table and as JSON.
 */
package dev.topiary.converter.report;
