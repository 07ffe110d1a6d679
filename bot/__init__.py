"""Wilayah: a Telegram bot for Indonesian regional government field officials."""

__version__ = "0.1.0"
