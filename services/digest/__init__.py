"""The weekly digest: building the figures, the week's period, and rendering."""
