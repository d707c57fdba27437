"""The shared vocabulary every stage uses: the domain types (`types`), the one exception tree
(`errors`) and the text primitives — offsets, words, normalisation (`text`).

May import: nothing from qa (only the standard library and numpy). Everything may import it."""
