"""Package attributes imported from their submodules on first use (PEP 562).

    _EXPORTS = {"load_policy": "factory", "build_tokenizer": "tokenizer"}
    __all__ = sorted(_EXPORTS)
    __getattr__, __dir__ = lazy_exports("cuagym.modeling", _EXPORTS, globals())

so that importing the package imports none of its submodules (no torch or DeepSpeed until a name
that needs them is used), and ``python -m package.module`` runs that module only as ``__main__``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any, Callable


def lazy_exports(package: str, exports: dict[str, str], namespace: dict[str, Any],
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose ``exports`` (name -> submodule) are
    imported from ``package.submodule`` when first asked for and then kept in ``namespace`` (the
    package's globals)."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{exports[name]}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(list(namespace) + sorted(exports))

    return __getattr__, __dir__
