"""Following Vault's audit device: the log file (``file``) and the job that reads it inside
``credbot serve`` (``job``). The rules live in ``bot.core.sharing``."""
