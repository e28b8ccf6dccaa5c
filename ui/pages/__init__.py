"""The app's pages (routed by ``ui/app.py``); they only render."""
