"""Test and local-stack helpers that bring up real infrastructure (never fakes)."""
