"""Person Excel import and export (io helper)."""
