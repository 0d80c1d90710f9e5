"""Dues pages (see urls.py)."""
