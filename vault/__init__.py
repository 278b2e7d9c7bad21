"""The only package that talks to Vault (or OpenBao).

Importing this package does not import hvac: the data types in ``vault.models`` and the
exceptions in ``vault.errors`` are plain Python so that the domain core can name them without
depending on an HTTP client. The hvac-backed implementation lives in ``vault.client``.
"""
