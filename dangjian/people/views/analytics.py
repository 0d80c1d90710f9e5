"""Structure analytics charts with drill-down (analytics helper)."""
