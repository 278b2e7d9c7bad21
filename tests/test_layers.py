"""The layers hold: the import contracts in pyproject.toml are kept, and every public name of
the Vault client can be imported (``__all__`` names nothing the module lacks)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_are_kept() -> None:
    # In a process of its own: import-linter sets up logging, which other tests check.
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("module", ["vault.client", "vault.accounts"])
def test_a_star_import_of_the_vault_modules_works(module: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {module} import *", namespace)
    assert "__builtins__" in namespace and len(namespace) > 1
