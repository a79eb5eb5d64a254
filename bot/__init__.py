"""Imkon: a Telegram bot for exchange and scholarship calls."""
