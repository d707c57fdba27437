"""Measuring answers against gold questions: the gold sets and their splits (`gold`), the
metrics (`metrics`), an evaluation run (`evaluation`), its report (`report`) and fitting the
composer's thresholds and weights on dev splits (`fitting`, `qa tune`).

May import: qa.answer, qa.index, qa.ingest, qa.core."""
