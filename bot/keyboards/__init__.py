"""Inline keyboards built from domain objects, and the callback data they carry."""
