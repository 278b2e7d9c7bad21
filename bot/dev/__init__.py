"""Development helpers: a throwaway OpenBao dev server for ``credbot demo`` and the tests."""
