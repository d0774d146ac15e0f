"""Dev-only commands: installed by the root dev group, excluded from the image."""
