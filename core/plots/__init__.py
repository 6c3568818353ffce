"""Figures and what they are drawn with: Plotly figures, the palette, labels placed on the map, which points a map draws and what each carries to the browser."""
