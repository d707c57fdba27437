"""Stage 3, a question to a verified answer: hybrid retrieval (`retrieval`), the reading model on
onnxruntime (`reader`), the question and sentence features (`features`), the composer that picks,
verifies and cites — or abstains (`composer`), the features and thresholds it is fitted with
(`settings`), the engine that opens an index and answers (`engine`), chat requests (`chat`) and
the plain-text rendering (`render`).

May import: qa.index, qa.ingest, qa.core."""
