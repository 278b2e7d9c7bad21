"""``NoVault``: for core steps that must never reach Vault."""

from __future__ import annotations

from typing import NoReturn


class NoVault:
    """Not a fake: any use of it fails the test, proving the step never reaches Vault."""

    def __getattr__(self, name: str) -> NoReturn:
        raise AssertionError(f"this step must not reach Vault (it called {name})")
