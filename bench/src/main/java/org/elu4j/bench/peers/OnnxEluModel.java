package org.elu4j.bench.peers;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A one-node ONNX model, {@code y = Elu(x, alpha)}, written as protobuf bytes here: no model file,
 * no ONNX tooling. Input {@code x} and output {@code y} are float tensors of shape {@code [1, n]}
 * with {@code n} symbolic, so one model serves every size. IR version 8, opset 13 (Elu has been
 * unchanged since opset 6). The same wire-format writing as {@code examples/onnxruntime}'s
 * {@code TinyOnnx}, cut down to what this model needs (the bench module does not depend on the
 * examples).
 */
public final class OnnxEluModel {
    /** The input's name. */
    public static final String X = "x";
    /** The output's name. */
    public static final String Y = "y";

    private static final int FLOAT = 1; // TensorProto.DataType.FLOAT, also AttributeProto.AttributeType.FLOAT

    private OnnxEluModel() {
    }

    /**
     * The serialized ModelProto of {@code y = Elu(x, alpha)}.
     *
     * @param alpha Elu's alpha (ONNX's attribute is a float)
     * @return the model's bytes
     */
    public static byte[] elu(float alpha) {
        // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5;
        // AttributeProto: name = 1, f = 2, type = 20.
        Pb node = new Pb().string(1, X).string(2, Y).string(3, "elu").string(4, "Elu")
                .message(5, new Pb().string(1, "alpha").fixed32(2, Float.floatToRawIntBits(alpha)).varint(20, FLOAT));
        // GraphProto: node = 1, name = 2, input = 11, output = 12.
        Pb graph = new Pb().message(1, node).string(2, "elu4j_bench_elu")
                .message(11, floatTensor(X)).message(12, floatTensor(Y));
        // ModelProto: ir_version = 1, producer_name = 2, graph = 7, opset_import = 8 {domain = 1, version = 2}.
        return new Pb().varint(1, 8).string(2, "elu4j-bench").message(7, graph)
                .message(8, new Pb().string(1, "").varint(2, 13)).toByteArray();
    }

    // ValueInfoProto {name = 1, type = 2: TypeProto {tensor_type = 1: {elem_type = 1,
    // shape = 2: TensorShapeProto {dim = 1: Dimension {dim_value = 1 | dim_param = 2}}}}}.
    private static Pb floatTensor(String name) {
        Pb shape = new Pb().message(1, new Pb().varint(1, 1)).message(1, new Pb().string(2, "n"));
        return new Pb().string(1, name).message(2, new Pb().message(1, new Pb().varint(1, FLOAT).message(2, shape)));
    }

    /** Protobuf's wire format: varints, fixed32 and length-delimited fields. */
    private static final class Pb {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pb varint(int field, long value) {
            key(field, 0);
            rawVarint(value);
            return this;
        }

        Pb fixed32(int field, int value) {
            key(field, 5);
            for (int i = 0; i < 4; i++) {
                out.write(value >>> (8 * i)); // little endian
            }
            return this;
        }

        Pb bytes(int field, byte[] value) {
            key(field, 2);
            rawVarint(value.length);
            out.writeBytes(value);
            return this;
        }

        Pb string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Pb message(int field, Pb message) {
            return bytes(field, message.toByteArray());
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }

        private void key(int field, int wireType) {
            rawVarint(((long) field << 3) | wireType);
        }

        private void rawVarint(long value) {
            while ((value & ~0x7FL) != 0) {
                out.write((int) ((value & 0x7F) | 0x80));
                value >>>= 7;
            }
            out.write((int) value);
        }
    }
}
