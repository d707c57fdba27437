"""Stage 2, text to a searchable index: passages cut with tiktoken (`chunking`), the embedding
model on onnxruntime (`embedding`), FAISS vectors (`vector_index`), BM25 (`bm25`), the on-disk
build and its atomic publication (`store`), the local build (`build`), incremental refresh
(`refresh`) and the Ray build (`ray_build`).

May import: qa.ingest, qa.core."""
