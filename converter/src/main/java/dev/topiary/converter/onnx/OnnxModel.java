package dev.topiary.converter.onnx;

import dev.topiary.converter.onnx.proto.ModelProto;
import java.nio.file.Path;

/**
 * A parsed ONNX model with what the importer needs around it: the default-domain opset version,
 * the directory external data is resolved against (null for models read from bytes), and the
 * SHA-256 of the file.
 */
public record OnnxModel(ModelProto proto, int opset, Path baseDir, String sha256, long sizeBytes) {}
