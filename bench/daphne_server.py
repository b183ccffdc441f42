"""daphne for the benchmarks, with the dependencies production has.

bench/requirements.txt installs uvicorn for the HTTP server comparison, and uvicorn brings
click. When click can be imported, autobahn colours the arguments of a debug line for every
frame it sends, whether or not anything logs it (autobahn.util.hl -> click.style): py-spy
found ~10 % of a daphne event loop there during a broadcast. requirements.txt has no click,
so this switches autobahn back to what a production process does.
"""

import autobahn.util
from daphne.cli import CommandLineInterface

autobahn.util._HAS_CLICK = False  # type: ignore[attr-defined]

if __name__ == "__main__":
    CommandLineInterface.entrypoint()
