"""Imported first by the reading workers' fork server (:data:`lib.io.sandbox.PRELOAD`), before pandas and pyarrow.

pandas keeps text columns in pyarrow, whose default memory pool (mimalloc) reserves an arena of about 1 GB of
address space at its first allocation: under a worker's ``RLIMIT_AS`` that first allocation fails ("malloc of size
64 failed"). The system allocator reserves nothing ahead. pyarrow reads the variable once, the first time its pool
is used (in the fork server, while it imports the readers), so it is set here, in the fork server only, and not in
the server's own process.
"""

import os

os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "system"
