package org.elu4j.examples.onnxruntime;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The example's model, written as ONNX protobuf bytes by a few lines of Java: no model file to
 * download or ship, no ONNX tooling needed. One float input {@code x} of shape
 * {@code [batch, features]} (both symbolic, so any shape runs) and three outputs of that shape:
 *
 * <pre>
 *   y        = x * scale + bias          (Mul, Add with scalar initializers: the "layer")
 *   ort_elu  = Elu(y, alpha = 1)         (ONNX Runtime's own ELU, to compare with elu4j's)
 *   ort_selu = Selu(y)                   (ONNX Runtime's own SELU, alpha and gamma as in ONNX)
 * </pre>
 *
 * A session can be asked for {@code y} alone: the example pins {@code y} into memory it owns and
 * applies elu4j's SELU there. The model is 400-odd bytes (IR version 8, opset 13).
 */
public final class TinyOnnx {
    /** The input. */
    public static final String X = "x";
    /** The layer's output, before the activation. */
    public static final String Y = "y";
    /** ONNX Runtime's {@code Elu(y, alpha = 1)}. */
    public static final String ORT_ELU = "ort_elu";
    /** ONNX Runtime's {@code Selu(y)}. */
    public static final String ORT_SELU = "ort_selu";
    /** ONNX's Selu defaults (float): SELU's alpha and scale rounded to float. */
    public static final float SELU_ALPHA = 1.67326319217681884765625f;
    /** ONNX's Selu gamma (SELU's scale) default. */
    public static final float SELU_GAMMA = 1.05070102214813232421875f;

    private static final int FLOAT = 1; // TensorProto.DataType.FLOAT, also AttributeProto.AttributeType.FLOAT

    private TinyOnnx() {
    }

    /**
     * The model {@code y = x * scale + bias}, {@code ort_elu = Elu(y)}, {@code ort_selu = Selu(y)}.
     *
     * @param scale the layer's scale
     * @param bias  the layer's bias
     * @return the serialized ModelProto
     */
    public static byte[] layerModel(float scale, float bias) {
        Pb graph = new Pb()
                .message(1, node("mul", "Mul", new String[] {X, "scale"}, "xs"))
                .message(1, node("add", "Add", new String[] {"xs", "bias"}, Y))
                .message(1, node("elu", "Elu", new String[] {Y}, ORT_ELU, floatAttribute("alpha", 1f)))
                .message(1, node("selu", "Selu", new String[] {Y}, ORT_SELU,
                        floatAttribute("alpha", SELU_ALPHA), floatAttribute("gamma", SELU_GAMMA)))
                .string(2, "elu4j_example")
                .message(5, scalar("scale", scale))
                .message(5, scalar("bias", bias))
                .message(11, floatTensorInfo(X))
                .message(12, floatTensorInfo(Y))
                .message(12, floatTensorInfo(ORT_ELU))
                .message(12, floatTensorInfo(ORT_SELU));
        return new Pb()
                .varint(1, 8)                                  // ir_version
                .string(2, "elu4j-examples")                   // producer_name
                .message(7, graph)                             // graph
                .message(8, new Pb().string(1, "").varint(2, 13)) // opset_import: ai.onnx 13
                .toByteArray();
    }

    // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5.
    private static Pb node(String name, String op, String[] inputs, String output, Pb... attributes) {
        Pb node = new Pb();
        for (String input : inputs) {
            node.string(1, input);
        }
        node.string(2, output).string(3, name).string(4, op);
        for (Pb attribute : attributes) {
            node.message(5, attribute);
        }
        return node;
    }

    // AttributeProto: name = 1, f = 2, type = 20.
    private static Pb floatAttribute(String name, float value) {
        return new Pb().string(1, name).fixed32(2, Float.floatToRawIntBits(value)).varint(20, FLOAT);
    }

    // TensorProto with no dims (a scalar): data_type = 2, name = 8, raw_data = 9 (little endian).
    private static Pb scalar(String name, float value) {
        int bits = Float.floatToRawIntBits(value);
        byte[] raw = {(byte) bits, (byte) (bits >>> 8), (byte) (bits >>> 16), (byte) (bits >>> 24)};
        return new Pb().varint(2, FLOAT).string(8, name).bytes(9, raw);
    }

    // ValueInfoProto {name = 1, type = 2: TypeProto {tensor_type = 1: {elem_type = 1,
    // shape = 2: TensorShapeProto {dim = 1: Dimension {dim_param = 2}}}}}.
    private static Pb floatTensorInfo(String name) {
        Pb shape = new Pb()
                .message(1, new Pb().string(2, "batch"))
                .message(1, new Pb().string(2, "features"));
        Pb tensorType = new Pb().varint(1, FLOAT).message(2, shape);
        return new Pb().string(1, name).message(2, new Pb().message(1, tensorType));
    }

    /** The protobuf wire format, as much of it as ONNX's ModelProto needs here. */
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
                out.write(value >>> (8 * i));
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
