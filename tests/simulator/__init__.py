"""Tests for the Bot API simulator."""
