"""Stage 1, files to text: finding the sources in a folder, converting each format to text with
its structure (`formats/`, in a guarded child process), splitting paragraphs and sentences with
exact character offsets (`corpus`), page chrome (`chrome`), the extracted text stored with a
build (`documents`), and near-duplicate paragraphs and their copies (`dedupe`).

May import: qa.core."""
