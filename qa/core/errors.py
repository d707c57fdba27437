"""The one exception tree of the package.

QAError                      anything the user can fix; shown as one line, never a traceback
├── CorpusError              missing/unreadable corpus folder, no usable source files
├── IndexError_              a built index is unusable
│   ├── IndexCorrupt         a file is missing, truncated or fails its checksum
│   └── IndexMismatch        the index was built from another corpus or other settings
├── ModelError               a model (embedding, reading) or its fitted settings cannot be loaded
├── ClusterError             `qa index --ray`: Ray missing, cluster unreachable, build failed there
├── QuestionRejected         empty, too long or otherwise unusable question
├── NotFound                 an unknown source file or paragraph (server: 404)
└── CitationError            a citation failed verification (a bug: never shown as an answer)
"""


class QAError(Exception):
    """Base class: the message says what went wrong and how to fix it."""


class CorpusError(QAError):
    pass


class IndexError_(QAError):
    pass


class IndexCorrupt(IndexError_):
    pass


class IndexMismatch(IndexError_):
    pass


class ModelError(QAError):
    pass


class ClusterError(QAError):
    pass


class QuestionRejected(QAError):
    pass


class NotFound(QAError):
    pass


class CitationError(QAError):
    pass
