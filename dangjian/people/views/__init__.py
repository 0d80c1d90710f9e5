"""People views, split by concern: records (list/detail/edit/reveal), io (import/export),
analytics (structure charts)."""
