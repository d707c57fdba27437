"""Training the reading model (torch, never on the query path): the base encoders (`base`),
training pairs from gold and generated questions (`data`), the network and its losses
(`network`), the training loop (`training`), checkpoints and resume (`checkpoints`), and the int8
ONNX export with its card (`export`).

May import: qa.evaluate, qa.answer, qa.index, qa.ingest, qa.core."""
