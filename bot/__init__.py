"""credbot: unique, TOTP-protected, automatically revoked credentials for contractors."""
