from ._wirehouse import (
    EngineRun as EngineRun,
    Records as Records,
    __version__ as __version__,
    inspect as inspect,
    profiles as profiles,
    read as read,
    run_unit as run_unit,
    run_unit_bytes as run_unit_bytes,
    schemas as schemas,
    transform as transform,
)
