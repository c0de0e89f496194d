#!/usr/bin/python3
"""Writes tiny-bert.onnx and vocab.txt: a toy BERT-shaped model for testing Veil's ONNX embedding path.

Run with Debian's python3-onnx (apt-get install -y python3-onnx; /usr/bin/python3 make_tiny_bert.py).
Inputs are those of a BERT encoder exported for sentence-transformers: input_ids, attention_mask and
token_type_ids (int64 [batch, sequence]); the output is last_hidden_state (float [batch, sequence, 8]):

    last_hidden_state = (word[input_ids] + type[token_type_ids]) * attention_mask[..., None]

The tables are fixed pseudo-random numbers (seeded), so the file is reproducible. It knows nothing about language;
it only has the shapes of the real thing (all-MiniLM-L6-v2 is the same graph interface with 384 hidden units).
"""
import random

import onnx
from onnx import TensorProto, helper

HIDDEN = 8
VOCAB = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
    "the", "a", "of", "to", "and", "is", "in", "how", "do", "i", "what",
    "deploy", "app", "fiori", "sap", "ui", "table", "filter", "search", "encrypt", "vector", "key",
    "cloud", "foundry", "test", "data", "model", "run", "build", "page", "list", "report", "object",
    "##s", "##ed", "##ing", "##er", "##ly", ".", ",", "?", "!", "-",
]


def table(name, rows, seed):
    rng = random.Random(seed)
    values = [round(rng.uniform(-1.0, 1.0), 4) for _ in range(rows * HIDDEN)]
    return helper.make_tensor(name, TensorProto.FLOAT, [rows, HIDDEN], values)


def main():
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])
              for n in ("input_ids", "attention_mask", "token_type_ids")]
    output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", HIDDEN])
    nodes = [
        helper.make_node("Gather", ["word_embeddings", "input_ids"], ["words"]),
        helper.make_node("Gather", ["type_embeddings", "token_type_ids"], ["types"]),
        helper.make_node("Add", ["words", "types"], ["hidden"]),
        helper.make_node("Cast", ["attention_mask"], ["mask_float"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_float", "last_axis"], ["mask"]),
        helper.make_node("Mul", ["hidden", "mask"], ["last_hidden_state"]),
    ]
    initializers = [
        table("word_embeddings", len(VOCAB), 20261122),
        table("type_embeddings", 2, 7),
        helper.make_tensor("last_axis", TensorProto.INT64, [1], [-1]),
    ]
    graph = helper.make_graph(nodes, "tiny_bert", inputs, [output], initializers)
    model = helper.make_model(graph, producer_name="veil-make-tiny-bert", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, "tiny-bert.onnx")
    with open("vocab.txt", "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(VOCAB) + "\n")


if __name__ == "__main__":
    main()
