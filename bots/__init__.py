"""Messenger edges: Telegram and WhatsApp adapters over the models/ operations."""
