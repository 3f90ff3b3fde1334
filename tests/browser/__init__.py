"""Browser tests: headless Chromium over Playwright (conftest.py; docs/development.md)."""
