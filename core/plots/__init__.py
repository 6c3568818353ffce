"""Figures and what they are drawn with: Plotly figures, the palette, labels placed on the map."""
