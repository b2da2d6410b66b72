/**
 * Pruning of a lowered graph before export: unstructured pruning of Conv2D, FullyConnected and
 * MatMul weights by magnitude ({@link dev.topiary.converter.prune.MagnitudePruning}) or with
 * layer-wise least-squares reconstruction on calibration data
 * ({@link dev.topiary.converter.prune.Reconstruction}, which runs graph snapshots through
 * {@link dev.topiary.converter.prune.Activations}), whose zeros the exporter stores with the BITMAP
 * sparse encoding, and structured channel pruning
 * ({@link dev.topiary.converter.prune.ChannelPruning}) that physically removes output channels and
 * the matching inputs of the layers that read them; with calibration data the channels are chosen
 * by the error they leave ({@link dev.topiary.converter.prune.ChannelSelection}) and those layers
 * are re-fitted by least squares ({@link dev.topiary.converter.prune.ChannelReconstruction}).
 * {@link dev.topiary.converter.prune.Pruner} runs
 * both as {@link dev.topiary.converter.ConvertOptions} ask; {@link dev.topiary.converter.prune.Macs}
 * counts multiply-accumulates.
 */
package dev.topiary.converter.prune;
