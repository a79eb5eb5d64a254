"""Plain-Python rules of the product: no aiogram, no database."""
