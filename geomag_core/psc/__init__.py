"""Prompt-guided semantic-aware cropping (PSC): heat maps, windows, and the zoom loop."""
