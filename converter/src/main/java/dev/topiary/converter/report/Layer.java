package dev.topiary.converter.report;

import java.util.List;

/**
 * One node of a planned artifact, as the profiler sees it.
 *
 * @param position 0-based position in execution order
 * @param nodeIndex index of the node in the artifact
 * @param name node name (untrusted: from the model file)
 * @param op runtime op type
 * @param dtype type of its largest constant input (its weights), else of its first output
 * @param outputShape resolved shape of its first output
 * @param parameters elements of the constant tensors first read by this node
 * @param weightBytes stored bytes of those constants (sparse encodings at their stored size)
 * @param sparsity zero fraction of those constants' elements, or NaN when it reads none
 * @param macs multiply-accumulates of one run ({@link OpMacs}); 0 for ops that are not linear
 * @param meanNanos mean wall time of the step over the profiled runs
 * @param p90Nanos 90th percentile (nearest rank) of the step's wall time
 * @param producers positions of the layers producing its non-constant inputs
 */
public record Layer(
    int position,
    int nodeIndex,
    String name,
    String op,
    String dtype,
    int[] outputShape,
    long parameters,
    long weightBytes,
    double sparsity,
    long macs,
    double meanNanos,
    long p90Nanos,
    List<Integer> producers) {}
