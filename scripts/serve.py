"""Start the app with its caches filled first: `python scripts/serve.py run app.py [streamlit flags]`.

The same command line as `streamlit run`, after one warm-up in this process (see
``lib.cache.warm``): the first visitor of a just-started server then waits no longer than the
next ones. `make run` and the browser tests start the app this way.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> None:
    started = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT) if not (Path.cwd() / "app.py").is_file() else None
    # Outside a running server Streamlit warns about every cached call ("No runtime found",
    # "missing ScriptRunContext"): expected here, so warnings are silenced for the warm-up only.
    logging.disable(logging.WARNING)
    from lib import cache

    cache.warm(log=lambda line: print(line, flush=True))
    print(f"warm: ready in {time.perf_counter() - started:.1f} s; starting Streamlit", flush=True)
    logging.disable(logging.NOTSET)

    from streamlit.web import cli

    sys.argv = ["streamlit", *argv]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:] or ["run", "app.py"])
