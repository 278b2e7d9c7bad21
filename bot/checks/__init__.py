"""The identity checks credbot can run, one module each, chosen by ``CREDBOT_IDENTITY_CHECKS``.

Adding a check means adding one file here: a module whose ``CHECK`` is a class with a ``name``,
a ``proves_identity`` flag, ``from_environment(env)`` and ``run(contractor)``. Modules whose
name starts with ``_`` are shared helpers, not checks. ``build_checks`` finds the modules,
so nothing else has to be edited.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence

from bot.checks._base import CheckConfigError, CheckEnvironment, ConfigurableCheck
from bot.core.identity import IdentityCheck

__all__ = ["CheckConfigError", "CheckEnvironment", "available_checks", "build_checks"]


def available_checks() -> dict[str, type[ConfigurableCheck]]:
    """Every check in this package, by name."""
    found: dict[str, type[ConfigurableCheck]] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        check: type[ConfigurableCheck] = module.CHECK
        found[check.name] = check
    return found


def build_checks(names: Sequence[str], env: CheckEnvironment) -> list[IdentityCheck]:
    """The checks ``names`` asks for, configured from ``env``, in that order.

    Raises ``CheckConfigError`` for an unknown or repeated name, a check whose settings are
    missing, or a set without a check that proves identity (KYC): credbot never issues
    credentials to someone nobody verified.
    """
    known = available_checks()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise CheckConfigError(
            f"CREDBOT_IDENTITY_CHECKS: unknown checks {', '.join(unknown)} "
            f"(known: {', '.join(sorted(known))})"
        )
    if len(set(names)) != len(names):
        raise CheckConfigError("CREDBOT_IDENTITY_CHECKS: a check is listed twice")
    if not any(known[name].proves_identity for name in names):
        proving = ", ".join(sorted(name for name, check in known.items() if check.proves_identity))
        raise CheckConfigError(
            f"CREDBOT_IDENTITY_CHECKS: include one of {proving}: credbot never issues "
            "credentials to someone whose identity nobody verified"
        )
    return [known[name].from_environment(env) for name in names]
