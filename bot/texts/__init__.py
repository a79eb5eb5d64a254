"""Texts shown to users, built from domain objects in the current locale."""
