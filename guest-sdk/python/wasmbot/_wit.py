"""The generated bindings, imported in one place.

componentize-py generates the ``wit_world`` package from ``wit/`` (world ``described-plugin``)
while it builds a component; ``gen-bindings.sh`` writes the same modules as stubs for editors and
type checkers. Every other module of the SDK reaches the WIT through the names below, so a
renamed generated module is fixed here alone.
"""

from componentize_py_types import Err, Some  # noqa: F401  (re-exported)
from wit_world import exports  # noqa: F401
from wit_world.exports import guest  # noqa: F401
from wit_world.imports import (  # noqa: F401
    capabilities,
    help,
    kv,
    log,
    messaging,
    moderation,
    timers,
)
from wit_world.imports import wasmbot_bot_types_0_1_0 as v1  # noqa: F401
from wit_world.imports import wasmbot_bot_types_0_2_0 as v2  # noqa: F401
from wit_world.imports import outgoing_handler, poll, streams  # noqa: F401,E402
from wit_world.imports import wasi_http_types as http_types  # noqa: F401,E402
