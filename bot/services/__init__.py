"""Telegram-free domain services: plain async functions taking a session and a clock."""
