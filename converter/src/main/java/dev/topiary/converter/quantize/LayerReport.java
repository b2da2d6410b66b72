package dev.topiary.converter.quantize;

/**
 * What quantization did to one node.
 *
 * @param node node name in the artifact
 * @param op op type
 * @param dtypeBefore type of its weights (or of its output when it has none) before
 * @param dtypeAfter the same after quantization ({@code FLOAT32} when the node stayed float)
 * @param parameters elements of its constant inputs
 * @param bytesBefore bytes of its constant inputs before
 * @param bytesAfter bytes of its constant inputs after
 * @param sqnrDb signal-to-quantization-noise ratio in dB of its output on the calibration data
 *     (int8 only; null otherwise or when the output is all zeros)
 */
public record LayerReport(String node, String op, String dtypeBefore, String dtypeAfter, long parameters,
    long bytesBefore, long bytesAfter, Double sqnrDb) {}
