"""The app in a browser: `tuidesk web` (textual-serve behind a sign-in)."""
