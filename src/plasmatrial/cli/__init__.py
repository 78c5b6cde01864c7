"""Command-line interface (Typer + Rich). The only layer that prints."""
