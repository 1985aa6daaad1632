"""Start the app with its caches filled first: `python scripts/serve.py run app.py [streamlit flags]`.

The same command line as `streamlit run`, after one warm-up in this process (see
``lib.ui.cache.warm``): the first visitor of a just-started server then waits no longer than the
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
    if not (Path.cwd() / "app.py").is_file():  # started from elsewhere: app.py and .streamlit/ are relative
        os.chdir(ROOT)
    # Outside a running server Streamlit warns about every cached call ("No runtime found",
    # "missing ScriptRunContext"): expected here, so warnings are silenced for the warm-up only.
    logging.disable(logging.WARNING)
    from lib.ui import cache

    cache.warm(log=lambda line: print(line, flush=True))
    print(f"warm: ready in {time.perf_counter() - started:.1f} s; starting Streamlit", flush=True)
    logging.disable(logging.NOTSET)

    from streamlit.web import bootstrap, cli

    # streamlit_folium declares its component on import, and Streamlit registers a component (so
    # that its files are served) only when it is declared during a page run. Import it as the
    # server starts, before the event loop answers any request, and register it with the runtime
    # here, so that the first page run does not pay for the import (~0.3–1 s). If that fails, the
    # module is forgotten again and the first page run imports and registers it as usual.
    started_hook = getattr(bootstrap, "_on_server_start", None)
    if started_hook is not None:

        def on_server_start(server) -> None:
            t = time.perf_counter()
            try:
                import streamlit_folium
                from streamlit import runtime

                runtime.get_instance().component_registry.register_component(streamlit_folium._component_func)
                print(f"warm: streamlit_folium {time.perf_counter() - t:.2f} s", flush=True)
            except Exception as err:  # noqa: BLE001 - warming is an optimisation only
                for name in [m for m in sys.modules if m == "streamlit_folium" or m.startswith("streamlit_folium.")]:
                    del sys.modules[name]
                print(f"warm: streamlit_folium left to the first page run ({err})", flush=True)
            started_hook(server)

        bootstrap._on_server_start = on_server_start
    sys.argv = ["streamlit", *argv]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:] or ["run", "app.py"])
