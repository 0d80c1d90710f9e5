"""Person list, detail, create, edit, reveal (records helper)."""
